"""A ministry's queue: filters from the query string, sorted by deadline, a page at a time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from foundation.i18n import is_ascii_number, to_ascii_digits
from grievance.models import Category, Grievance, Status
from grievance.status import OPEN
from registry.places import place_index
from staff.models import StaffUser
from staff.scope import visible

PAGE_SIZE = 50
# Longer numbers are no page and no district: refused before int() so that neither the
# database (integer columns, OFFSET) nor Python's digit limit sees them.
MAX_NUMBER_DIGITS = 9
DUE_SOON = dt.timedelta(days=3)
SLA_STATES = ("overdue", "due_soon", "on_time")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "open", "all" or one status
    programme: str = ""
    category: str = ""
    district: int | None = None
    sla: str = ""  # one of SLA_STATES, or "" for any
    page: int = 1
    # A district given that no district is: the queue shows it and no cases, never every
    # district's (a filter dropped in silence would also export them all).
    unknown_district: str = ""

    @classmethod
    def from_args(cls, args: Any) -> QueueFilter:
        """Unknown values are ignored rather than refused: a stale bookmark still opens. An
        unknown district is kept, to be said, and matches nothing."""
        status = args.get("status", "open")
        if status not in ("open", "all", *(s.value for s in Status)):
            status = "open"
        category = args.get("category", "")
        sla = args.get("sla", "")
        raw_district = args.get("district", "").strip()
        district = _district(raw_district) if raw_district else None
        page = _ascii_number(args.get("page", ""))
        return cls(
            status=status,
            programme=_code(args.get("programme", "")),
            category=category if category in {c.value for c in Category} else "",
            district=district,
            sla=sla if sla in SLA_STATES else "",
            page=max(1, page or 1),
            unknown_district="" if district else raw_district[:MAX_DISTRICT_NAME],
        )

    @property
    def district_suggestions(self) -> list[str]:
        return place_index().suggest("district", self.unknown_district) if self.unknown_district else []

    def as_args(self, **changes: Any) -> dict[str, Any]:
        values = {**self.__dict__, **changes}
        unknown = values.pop("unknown_district")
        if unknown and values["district"] is None:
            values["district"] = unknown  # the export and the next page match nothing too
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


def _code(value: str) -> str:
    """A programme code (letters, digits, '_' or '-'), else "": PostgreSQL refuses a NUL byte
    in a query, and nothing else could match."""
    code = value.strip().upper()[:16]
    return code if re.fullmatch(r"[A-Z0-9_-]+", code, flags=re.ASCII) else ""


# A district name longer than this is no district (the longest spelling has 24 letters).
MAX_DISTRICT_NAME = 60


def _district(value: str) -> int | None:
    """A district by its code (the queue's own links), or by any spelling of its name or its
    BBS geo-code, as a ministry's link or a typed address bar would give it ("Comilla",
    "BD2019"); None if no district is meant."""
    index = place_index()
    if _ascii_number(value) is not None:
        return _ascii_number(value) if _ascii_number(value) in index.ids("district") else None
    return index.find("district", value) if len(value) <= MAX_DISTRICT_NAME else None


def _ascii_number(value: str) -> int | None:
    """A whole number written in ASCII or Bengali digits, or None (other scripts' digits,
    "²", "١", "３", are no number here)."""
    digits = to_ascii_digits(value.strip())
    if len(digits) > MAX_NUMBER_DIGITS or not is_ascii_number(digits):
        return None
    return int(digits)


@dataclass
class QueuePage:
    rows: list[Grievance]
    total: int
    filter: QueueFilter
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = page_count(self.total)


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _conditions(user: StaffUser, f: QueueFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    conditions = [visible(user)]
    if f.status == "open":
        conditions.append(Grievance.status.in_(OPEN))
    elif f.status != "all":
        conditions.append(Grievance.status == Status(f.status))
    if f.programme:
        conditions.append(Grievance.programme_code == f.programme)
    if f.category:
        conditions.append(Grievance.category == Category(f.category))
    if f.district:
        conditions.append(Grievance.district_id == f.district)
    elif f.unknown_district:
        conditions.append(false())
    if f.sla == "overdue":
        conditions.append(Grievance.due_at < now)
    elif f.sla == "due_soon":
        conditions.append(Grievance.due_at.between(now, now + DUE_SOON))
    elif f.sla == "on_time":
        conditions.append(Grievance.due_at > now + DUE_SOON)
    return conditions


def queue_query(user: StaffUser, f: QueueFilter) -> Select:
    """Every case the filter selects, soonest deadline first (for the page and the CSV)."""
    conditions = _conditions(user, f, utcnow())
    return select(Grievance).where(*conditions).order_by(Grievance.due_at.asc().nulls_last(), Grievance.id)


def queue_page(session: Session, user: StaffUser, f: QueueFilter) -> QueuePage:
    conditions = _conditions(user, f, utcnow())
    total = session.scalar(select(func.count()).select_from(Grievance).where(*conditions))
    # A page past the end (an old bookmark, a typed number) shows the last page.
    f = replace(f, page=min(f.page, page_count(total)))
    rows = session.scalars(queue_query(user, f).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE)).all()
    return QueuePage(list(rows), total, f)


def sla_state(grievance: Grievance, now: dt.datetime | None = None) -> str:
    from foundation.clock import as_utc

    if grievance.due_at is None or grievance.status not in OPEN:
        return ""
    now = now or utcnow()
    due = as_utc(grievance.due_at)
    if due < now:
        return "overdue"
    return "due_soon" if due <= now + DUE_SOON else "on_time"
