"""The statuses a grievance may move between, the one function that moves it, and the one
that writes its trail (``record``): every change, note and escalation goes through them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy.orm import Session

from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status, utcnow

S = Status
ALLOWED: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.ROUTED, S.REJECTED}),
    S.ROUTED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.TRANSFERRED, S.REJECTED}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.TRANSFERRED, S.REJECTED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.TRANSFERRED, S.REJECTED}),
    S.TRANSFERRED: frozenset({S.ROUTED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.APPEALED}),
    S.APPEALED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.REJECTED: frozenset({S.APPEALED}),
    S.CLOSED: frozenset(),
}

# Waiting on an office, so on the SLA clock: queues, dashboards, escalation and the calendar
# recount read it.
OPEN: tuple[Status, ...] = (S.ROUTED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.TRANSFERRED, S.REOPENED, S.APPEALED)
LAST_TIER = 3  # the appeal officer: the SLA clock escalates no further
# The escalation trail's actor: migration 0015 reads its entries as clock starts.
SLA_CLOCK = "sla-clock"


class TransitionNotAllowed(ValueError):
    pass


def record(
    session: Session,
    grievance: Grievance,
    to: Status,
    actor: str,
    note: str | None = None,
    *,
    from_status: Status | None = None,
    tell_citizen: bool = True,
) -> GrievanceEvent:
    """Append to the audit trail and queue the citizen's notification (no status check)."""
    event = GrievanceEvent(grievance=grievance, actor=actor, from_status=from_status, to_status=to, note=note)
    session.add(event)
    # The queue's "last activity": a note or an answer is activity though the row stays as it was.
    grievance.updated_at = utcnow()
    if not tell_citizen:  # the citizen caused this change and has been answered already
        return event
    # Every change is queued for the citizen; the SMS channel picks the wording per status.
    session.add(OutboxEntry(**citizen_notice(grievance.id, to, grievance.locale, grievance.tracking_number)))
    return event


def citizen_notice(grievance_id: int, to: Status, locale: str, tracking_number: str) -> dict:
    """The outbox row that tells the citizen of a change (the SMS channel words it per status)."""
    return {
        "kind": "notify_citizen",
        "grievance_id": grievance_id,
        "payload": {"status": to.value, "locale": locale, "tracking_number": tracking_number},
    }


def change_status(
    session: Session,
    grievance: Grievance,
    to: Status,
    actor: str,
    note: str | None = None,
    *,
    tell_citizen: bool = True,
) -> None:
    """Move a grievance along an allowed transition, keeping the trail; the caller commits.
    ``tell_citizen=False`` when the change is the citizen's own answer, already replied to."""
    if to not in ALLOWED[grievance.status]:
        raise TransitionNotAllowed(f"a {grievance.status.value} complaint cannot become {to.value}")
    previous = grievance.status
    grievance.status = to
    if to is S.RESOLVED and grievance.first_resolved_at is None:
        from grievance.sla import resolution_days

        grievance.first_resolved_at = utcnow()
        grievance.resolution_working_days = resolution_days(session, grievance.created_at, grievance.first_resolved_at)
    if to is S.APPEALED:
        # An appeal goes to the appeal officer with that tier's own clock.
        grievance.tier = LAST_TIER
        start_clock(session, grievance, utcnow())
    record(session, grievance, to, actor, note, from_status=previous, tell_citizen=tell_citizen)


def start_clock(
    session: Session, grievance: Grievance, started: dt.datetime, off: Collection[dt.date] | None = None
) -> None:
    """Start the SLA clock of the complaint's current tier at ``started``: the deadline is that
    tier's working days later (``off``, the holidays, when the caller has them already)."""
    # Here, not at the top: the calendar loads the holidays package, which filing a complaint
    # (the hot path that imports this module) never needs.
    from grievance.sla import add_working_days, holidays, tier_limit

    grievance.sla_started_at = started
    grievance.due_at = add_working_days(started, tier_limit(grievance.tier), holidays(session) if off is None else off)


def escalate(session: Session, grievance: Grievance, now: dt.datetime, off: Collection[dt.date]) -> GrievanceEvent:
    """Move an open complaint whose deadline passed up one tier, its clock starting ``now``. The
    status stays; the trail says so. The citizen is not told: nothing they can act on changed."""
    if grievance.status not in OPEN or grievance.tier >= LAST_TIER:
        raise TransitionNotAllowed(f"a {grievance.status.value} complaint at tier {grievance.tier} cannot escalate")
    grievance.tier += 1
    start_clock(session, grievance, now, off)
    status, note = grievance.status, f"deadline passed: escalated to tier {grievance.tier}"
    return record(session, grievance, status, SLA_CLOCK, note, from_status=status, tell_citizen=False)
