"""Recording a change to the SLA calendar, and moving the deadlines it affects.

A complaint is affected when the changed day falls inside its current deadline window
(after the day its tier's clock started, up to its deadline): only there can a day off
more or less move the deadline. Each moved deadline gets an entry in the complaint's trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grievance import calendar
from grievance.jobs import OPEN
from grievance.models import Grievance, GrievanceEvent, HolidayAction, HolidayChange, as_utc
from grievance.sla import DHAKA, add_working_days, clock_years, tier_limit


class ChangeRefused(ValueError):
    """The change makes no sense for the calendar as it stands (the message says why)."""


@dataclass(frozen=True)
class MovedDeadline:
    tracking_number: str
    before: dt.date
    after: dt.date


@dataclass
class Recorded:
    change: HolidayChange
    moved: list[MovedDeadline] = field(default_factory=list)


def _check(existing: calendar.Holiday | None, day: dt.date, action: HolidayAction, name_en: str | None) -> None:
    if action is HolidayAction.ADD:
        if existing is not None:
            raise ChangeRefused(f"{day} is already a holiday ({existing.name_en}); use confirm")
        if not name_en:
            raise ChangeRefused("an added holiday needs --name")
    elif existing is None:
        raise ChangeRefused(f"{day} is not a holiday in the calendar; use add")


def record_change(
    session: Session,
    day: dt.date,
    action: HolidayAction,
    by: str,
    name_en: str | None = None,
    name_bn: str | None = None,
) -> Recorded:
    """Record the change and recount the deadlines it affects; the caller commits."""
    existing = calendar.calendar(session, [day.year]).get(day)
    _check(existing, day, action, name_en)
    was_off = existing is not None
    change = calendar.record(session, day, action, by, name_en, name_bn)
    is_off = day in calendar.calendar(session, [day.year])
    recorded = Recorded(change)
    if was_off != is_off:
        recorded.moved = _recount(session, day, f"holiday {action.value} on {day} by {by}", by)
    return recorded


def _clock_start():
    # Complaints from before the clock start was kept: their routing is when it started.
    return func.coalesce(Grievance.sla_started_at, Grievance.routed_at, Grievance.created_at)


def _recount(session: Session, day: dt.date, why: str, by: str) -> list[MovedDeadline]:
    day_begins = dt.datetime.combine(day, dt.time(0), DHAKA).astimezone(dt.UTC)
    affected = session.scalars(
        select(Grievance)
        .where(Grievance.status.in_(OPEN), Grievance.due_at >= day_begins, _clock_start() < day_begins)
        .order_by(Grievance.id)
        .with_for_update()
    ).all()
    moved = []
    for grievance in affected:
        started = as_utc(grievance.sla_started_at or grievance.routed_at or grievance.created_at)
        years = clock_years(started.astimezone(DHAKA).date())
        due = add_working_days(started, tier_limit(grievance.tier), calendar.off_days(session, years))
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
