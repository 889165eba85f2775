"""Staff actions on a complaint: the one service the CLI and the staff workspace both call."""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from grievance.models import Grievance, Status, utcnow
from grievance.routing import route_for
from grievance.sla import DHAKA
from grievance.status import change_status


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    TRANSFER = "transfer"


TARGET = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.START: Status.IN_PROGRESS,
    Action.RESOLVE: Status.RESOLVED,
    Action.REJECT: Status.REJECTED,
}


class ActionRefused(ValueError):
    """Refused for a reason the person can fix; ``code`` names it for translated messages."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def apply_action(
    session: Session, grievance: Grievance, action: Action, by: str, note: str | None, to_ministry: str | None = None
) -> None:
    """Perform a staff action in the caller's transaction; transfer re-routes to ``to_ministry``.
    The caller commits, then dispatches the citizen's notification."""
    if action in (Action.RESOLVE, Action.REJECT, Action.TRANSFER) and not (note or "").strip():
        raise ActionRefused(f"{action.value} needs a note saying why", code="note_required")
    if action is Action.TRANSFER:
        if not to_ministry:
            raise ActionRefused("transfer needs the ministry to transfer to", code="ministry_required")
        change_status(session, grievance, Status.TRANSFERRED, by, f"to {to_ministry}: {note}")
        route = route_for(session, grievance, utcnow().astimezone(DHAKA).date())
        grievance.ministry_code = to_ministry
        grievance.office_level = route.office_level.value
        change_status(session, grievance, Status.ROUTED, by, f"transferred to {to_ministry}")
    else:
        change_status(session, grievance, TARGET[action], by, note)


def act(
    session: Session, grievance: Grievance, action: Action, by: str, note: str | None, to_ministry: str | None = None
) -> None:
    """Perform a staff action and commit, then tell the citizen."""
    apply_action(session, grievance, action, by, note, to_ministry)
    session.commit()
    from grievance.jobs import dispatch

    dispatch([("notify_citizen", grievance.id)], coalesce=True)
