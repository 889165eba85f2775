"""Publishing a finished month's complaint counts, once, and reading back what was published.

A month is published only after it has ended in Dhaka: before then its counts still move,
and two downloads either side of one change would tell an exact small count. The first
publication computes the month's cells and stores them; every later download serves the
stored cells, so nothing that happens to the complaints afterwards changes a published cell.

Suppression: a cell under SUPPRESS_BELOW is published as "<5", and the file publishes no
totals (no row, column or month totals), only the cells themselves. Complementary
suppression was the alternative: it publishes totals and then hides enough further cells
that no suppressed one can be solved for. In a table of six dimensions that is a hard
optimisation problem whose heuristics are easy to get subtly wrong, and a mistake there
discloses for good. Publishing cells only is safe by construction: every published number
is a cell, each complaint is in exactly one cell, so no equation over published numbers
involves a suppressed cell. A reader who wants a total sums the cells, and knows from the
data dictionary that each "<5" hides between 1 and 4 complaints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from foundation.clock import as_utc, utcnow
from grievance.models import Grievance
from grievance.sla import DHAKA
from registry.models import District
from staff.opendata.models import OpenDataCell, OpenDataMonth

SUPPRESS_BELOW = 5
SUPPRESSED = f"<{SUPPRESS_BELOW}"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Dhaka time (UTC+6, no daylight saving)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` (ASCII digits only); ValueError otherwise."""
        year, sep, month = text.strip().partition("-")
        if not (sep and len(year) == 4 and len(month) == 2 and (year + month).isascii() and (year + month).isdigit()):
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        if not 1 <= int(month) <= 12:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, moment: dt.datetime) -> Month:
        day = as_utc(moment).astimezone(DHAKA).date()
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def start(self) -> dt.datetime:
        """Its first moment (midnight in Dhaka), in UTC: stored timestamps are UTC."""
        return dt.datetime(self.year, self.month, 1, tzinfo=DHAKA).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The first moment of the next month, in UTC (exclusive)."""
        return self.next().start


def last_finished_month(now: dt.datetime | None = None) -> Month:
    """The latest month that has ended in Dhaka at ``now``."""
    return Month.of(now or utcnow()).previous()


class MonthNotFinished(ValueError):
    """Publishing a month that has not ended yet (its counts would still change)."""


def publish_month(session: Session, month: Month, now: dt.datetime | None = None) -> bool:
    """Store ``month``'s cells and commit; True if this call published it, False if it was
    published already (by an earlier run, or by another process at this very moment)."""
    now = now or utcnow()
    if month > last_finished_month(now):
        raise MonthNotFinished(f"{month} has not ended yet in Dhaka")
    if not _claim(session, month, now):
        session.rollback()
        return False
    session.add_all(_cells(session, month))
    session.commit()
    return True


def publish_finished_months(session: Session, now: dt.datetime | None = None) -> list[Month]:
    """Publish every finished month not yet published, from the first complaint's month on
    (months without complaints are published empty, so they too stay as first published)."""
    now = now or utcnow()
    published = []
    for month in unpublished_months(session, now):
        if publish_month(session, month, now):
            published.append(month)
    return published


def unpublished_months(session: Session, now: dt.datetime) -> list[Month]:
    first_filed = session.scalar(select(func.min(Grievance.created_at)))
    if first_filed is None:
        return []
    stored = set(session.scalars(select(OpenDataMonth.month)))
    last = last_finished_month(now)
    months, month = [], Month.of(first_filed)
    while month <= last:
        if str(month) not in stored:
            months.append(month)
        month = month.next()
    return months


def _claim(session: Session, month: Month, now: dt.datetime) -> bool:
    """Insert the month's row unless one exists. On PostgreSQL a second publisher's insert
    waits for the first one's transaction and then does nothing; SQLite runs one writer at
    a time. Either way exactly one publisher gets the row back."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    claimed = session.execute(
        dialect.insert(OpenDataMonth)
        .values(month=str(month), published_at=now)
        .on_conflict_do_nothing(index_elements=["month"])
        .returning(OpenDataMonth.month)
    ).first()
    return claimed is not None


def _cells(session: Session, month: Month) -> list[OpenDataCell]:
    """The month's counts from the live complaints, small ones suppressed."""
    rows = session.execute(
        select(
            Grievance.programme_code,
            Grievance.ministry_code,
            District.name_en,
            Grievance.category,
            Grievance.status,
            func.count(),
        )
        .outerjoin(District, District.id == Grievance.district_id)
        .where(Grievance.created_at >= month.start, Grievance.created_at < month.end)
        .group_by(
            Grievance.programme_code, Grievance.ministry_code, District.name_en, Grievance.category, Grievance.status
        )
    ).all()
    return [
        OpenDataCell(
            month=str(month),
            programme=programme or "",
            ministry=ministry or "",
            district=district or "",
            category=category.value,
            status=status.value,
            complaints=count if count >= SUPPRESS_BELOW else None,
        )
        for programme, ministry, district, category, status, count in rows
    ]


COLUMNS = ("month", "programme", "ministry", "district", "category", "status", "complaints")


def published_rows(session: Session) -> Iterator[tuple[str, ...]]:
    """Every published cell, as the CSV shows it, in a stable order (plain rows, not ORM
    objects: a national file has tens of thousands of cells, read at a restart's first download)."""
    key = (
        OpenDataCell.month,
        OpenDataCell.programme,
        OpenDataCell.ministry,
        OpenDataCell.district,
        OpenDataCell.category,
        OpenDataCell.status,
    )
    for *cell, complaints in session.execute(select(*key, OpenDataCell.complaints).order_by(*key)):
        yield (*cell, SUPPRESSED if complaints is None else str(complaints))


def published_months(session: Session) -> list[tuple[str, dt.datetime]]:
    return [
        (month, as_utc(at))
        for month, at in session.execute(
            select(OpenDataMonth.month, OpenDataMonth.published_at).order_by(OpenDataMonth.month)
        )
    ]
