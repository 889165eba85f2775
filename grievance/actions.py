"""Staff actions on a complaint: the one service the CLI and the staff workspace both call."""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from grievance.models import Grievance, Status, utcnow
from grievance.routing import route_for
from grievance.sla import DHAKA
from grievance.status import change_status, record, start_clock


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    TRANSFER = "transfer"
    NOTE = "note"  # a line in the trail; the status stays
    ASK = "ask"  # ask the citizen for information; the channel that asks sends the question


TARGET = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.START: Status.IN_PROGRESS,
    Action.RESOLVE: Status.RESOLVED,
    Action.REJECT: Status.REJECTED,
}
# A note or a question is its text; resolving, rejecting or moving a complaint needs a reason.
NEEDS_TEXT = frozenset({Action.NOTE, Action.ASK})
NEEDS_REASON = frozenset({Action.RESOLVE, Action.REJECT, Action.TRANSFER})


class ActionRefused(ValueError):
    """Refused for a reason the person can fix; ``code`` names it for translated messages."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def check(action: Action, note: str | None, to_ministry: str | None = None) -> None:
    """Refuse (ActionRefused) an action that lacks what it needs, before anything is done."""
    if action in NEEDS_TEXT and not (note or "").strip():
        raise ActionRefused("write the note or the question first", code="text_required")
    if action in NEEDS_REASON and not (note or "").strip():
        raise ActionRefused(f"{action.value} needs a note saying why", code="note_required")
    if action is Action.TRANSFER and not to_ministry:
        raise ActionRefused("transfer needs the ministry to transfer to", code="ministry_required")


def apply_action(
    session: Session, grievance: Grievance, action: Action, by: str, note: str | None, to_ministry: str | None = None
) -> None:
    """Perform an action in the caller's transaction; transfer re-routes to ``to_ministry``.
    The caller commits, then dispatches the citizen's notification. A note or a question only
    adds to the trail: the citizen is not told of it (a question reaches them as the SMS the
    asking channel sends in the same transaction)."""
    check(action, note, to_ministry)
    if action is Action.TRANSFER:
        _transfer(session, grievance, by, note or "", to_ministry or "")
    elif action in NEEDS_TEXT:
        text = note if action is Action.NOTE else f"asked the citizen: {note}"
        record(session, grievance, grievance.status, by, text, from_status=grievance.status, tell_citizen=False)
    else:
        change_status(session, grievance, TARGET[action], by, note)


def _transfer(session: Session, grievance: Grievance, by: str, note: str, to_ministry: str) -> None:
    """Hand the complaint to ``to_ministry``, which starts afresh on it at the same tier.

    What belonged to the sending ministry's handling goes: the also-concerned ministry (the
    routing rule named it beside the old lead, or it is the receiving one), the officer who
    had taken it up, and the deadline. The receiving ministry gets its tier's full working
    days from the transfer, counted on the calendar as it is now; a transfer is a clock start
    like routing, an escalation or an appeal. The tier is kept: a transfer neither escalates
    the complaint nor takes it back to the first officer.
    """
    now = utcnow()
    change_status(session, grievance, Status.TRANSFERRED, by, f"to {to_ministry}: {note}")
    route = route_for(session, grievance, now.astimezone(DHAKA).date())
    grievance.ministry_code = to_ministry
    grievance.office_level = route.office_level.value
    grievance.also_ministry_code = None
    grievance.assigned_to = None
    start_clock(session, grievance, now)
    change_status(session, grievance, Status.ROUTED, by, f"transferred to {to_ministry}")


def act(
    session: Session, grievance: Grievance, action: Action, by: str, note: str | None, to_ministry: str | None = None
) -> None:
    """Perform a staff action and commit, then tell the citizen."""
    apply_action(session, grievance, action, by, note, to_ministry)
    session.commit()
    from grievance.jobs import dispatch

    dispatch([("notify_citizen", grievance.id)], coalesce=True)
