"""The statuses a grievance may move between, and the one function that moves it."""

from __future__ import annotations

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
        from grievance.sla import add_working_days, holidays, tier_limit

        grievance.tier = 3
        grievance.sla_started_at = utcnow()
        grievance.due_at = add_working_days(grievance.sla_started_at, tier_limit(3), holidays(session))
    record(session, grievance, to, actor, note, from_status=previous, tell_citizen=tell_citizen)
