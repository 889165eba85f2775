"""Recording a change to the SLA calendar, and moving the deadlines it affects.

A complaint is affected when the changed day falls inside its current deadline window
(after the day its tier's clock started, up to its deadline): only there can a day off
more or less move the deadline. Each moved deadline gets an entry in the complaint's trail.

The gazette file and the pinned package change with a deploy, not through here: `recount`
(run by `db upgrade` and `grievance holidays recount`) brings every open deadline to the
calendar as it is then, and a recorded change runs it first, so each move is put down to
what caused it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grievance import calendar
from grievance.models import Grievance, GrievanceEvent, HolidayAction, HolidayChange, as_utc
from grievance.sla import DHAKA, add_working_days, clock_years, tier_limit
from grievance.status import OPEN


class ChangeRefused(ValueError):
    """The change makes no sense for the calendar as it stands (the message says why)."""


@dataclass(frozen=True)
class MovedDeadline:
    tracking_number: str
    before: dt.date
    after: dt.date


NAME_LENGTH = 120  # holiday_changes.name_en, name_bn and recorded_by are VARCHAR(120)


@dataclass
class Recorded:
    change: HolidayChange
    moved: list[MovedDeadline] = field(default_factory=list)
    # Deadlines that had not followed an earlier calendar update (the gazette file or the
    # package): recounted first and noted as such, so this change is not blamed for them.
    recounted: list[MovedDeadline] = field(default_factory=list)


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _check_lengths(**values: str | None) -> None:
    for what, value in values.items():
        if value is not None and len(value) > NAME_LENGTH:
            raise ChangeRefused(f"{what} is {len(value)} characters long; at most {NAME_LENGTH} are kept")


def _check(existing: calendar.Holiday | None, day: dt.date, action: HolidayAction, name_en: str | None) -> None:
    if action is HolidayAction.ADD:
        if existing is not None:
            raise ChangeRefused(f"{day} is already a holiday ({existing.name_en}); use confirm")
        if not name_en:
            raise ChangeRefused("an added holiday needs --name")
    elif existing is None:
        raise ChangeRefused(f"{day} is not a holiday in the calendar; use add")


class _Calendar:
    """The calendar as this transaction sees it, built afresh: the shared cache is keyed by
    the recorded changes' count and newest id, and a change not yet committed may be rolled
    back and its id reused (SQLite does), so nothing seen here may go into that cache."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._built: dict[tuple[int, ...], dict[dt.date, calendar.Holiday]] = {}

    def days(self, years) -> dict[dt.date, calendar.Holiday]:
        years = tuple(sorted(set(years)))
        if years not in self._built:
            self._built[years] = calendar.build(years, calendar.recorded_changes(self.session))
        return self._built[years]

    def off_days(self, years) -> frozenset[dt.date]:
        return frozenset(self.days(years))


def record_change(
    session: Session,
    day: dt.date,
    action: HolidayAction,
    by: str,
    name_en: str | None = None,
    name_bn: str | None = None,
) -> Recorded:
    """Record the change and recount the deadlines it affects; the caller commits."""
    by, name_en, name_bn = _clean(by), _clean(name_en), _clean(name_bn)
    if by is None:
        raise ChangeRefused("say who records the change (--by)")
    _check_lengths(**{"--by": by, "--name": name_en, "--name-bn": name_bn})
    before = _Calendar(session)
    existing = before.days([day.year]).get(day)
    _check(existing, day, action, name_en)
    recounted = recount(session, by, _calendar=before)
    was_off = existing is not None
    change = calendar.record(session, day, action, by, name_en, name_bn)
    after = _Calendar(session)
    is_off = day in after.days([day.year])
    recorded = Recorded(change, recounted=recounted)
    if was_off != is_off:
        recorded.moved = _recount(session, f"holiday {action.value} on {day} by {by}", by, after, day)
    return recorded


CALENDAR_UPDATE = "calendar updated (gazette/package)"


def recount(session: Session, by: str = "sla-calendar", *, _calendar: _Calendar | None = None) -> list[MovedDeadline]:
    """Recount every open complaint's deadline from its clock start with the calendar as it
    is now, moving (and noting in its trail) only those that differ: after the gazette file
    changes or the holidays package is upgraded. `db upgrade` runs it; the caller commits."""
    by = _clean(by) or "sla-calendar"
    _check_lengths(**{"--by": by})
    return _recount(session, CALENDAR_UPDATE, by, _calendar or _Calendar(session))


def _clock_start():
    # Complaints from before the clock start was kept: their routing is when it started.
    return func.coalesce(Grievance.sla_started_at, Grievance.routed_at, Grievance.created_at)


def _recount(
    session: Session, why: str, by: str, days: _Calendar, changed: dt.date | None = None
) -> list[MovedDeadline]:
    """Recount the open complaints with a deadline: all of them, or with ``changed``, those
    whose window (after the clock start, up to the deadline) holds that day."""
    query = select(Grievance).where(Grievance.status.in_(OPEN), Grievance.due_at.is_not(None))
    if changed is not None:
        day_begins = dt.datetime.combine(changed, dt.time(0), DHAKA).astimezone(dt.UTC)
        query = query.where(Grievance.due_at >= day_begins, _clock_start() < day_begins)
    affected = session.scalars(query.order_by(Grievance.id).with_for_update()).all()
    moved = []
    for grievance in affected:
        started = as_utc(grievance.sla_started_at or grievance.routed_at or grievance.created_at)
        years = clock_years(started.astimezone(DHAKA).date())
        due = add_working_days(started, tier_limit(grievance.tier), days.off_days(years))
        before = as_utc(grievance.due_at)
        if due == before:
            continue
        grievance.due_at = due
        entry = MovedDeadline(grievance.tracking_number, _dhaka_day(before), _dhaka_day(due))
        session.add(
            GrievanceEvent(
                grievance=grievance,
                actor=by,
                from_status=grievance.status,
                to_status=grievance.status,
                note=f"deadline moved from {entry.before} to {entry.after}: {why}",
            )
        )
        moved.append(entry)
    return moved


def _dhaka_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(DHAKA).date()
