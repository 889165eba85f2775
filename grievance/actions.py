"""Staff actions on a complaint: the one service the CLI and the staff workspace both call."""

from __future__ import annotations

import enum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from grievance.contact import contact_phone
from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status, as_utc, utcnow
from grievance.outbox import ASK_CITIZEN, NOTIFY_CITIZEN
from grievance.routing import route_for
from grievance.sla import DHAKA
from grievance.status import change_status, citizen_notice, record, start_clock


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    TRANSFER = "transfer"
    NOTE = "note"  # a line in the trail; the status stays
    ASK = "ask"  # ask the citizen for information: an ask_citizen outbox entry sends the question


TARGET = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.START: Status.IN_PROGRESS,
    Action.RESOLVE: Status.RESOLVED,
    Action.REJECT: Status.REJECTED,
}
# How a question to the citizen starts its line in the trail (``waiting_for_citizen`` reads it),
# and the actor of what the citizen does (grievance.intake, grievance.citizen_answers).
ASKED = "asked the citizen: "
CITIZEN = "citizen"
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
    The caller commits, then dispatches ``outbox_kind(action)``. A note only adds to the
    trail; a question adds to the trail and puts an ask_citizen entry in the outbox, in the
    same transaction, so the trail never says "asked" of a question that is not on its way.
    (How long a question may be is the asking channel's to check: it knows the SMS budget.)"""
    check(action, note, to_ministry)
    if action is Action.TRANSFER:
        _transfer(session, grievance, by, note or "", to_ministry or "")
    elif action in NEEDS_TEXT:
        if action is Action.ASK:
            _ask(session, grievance, note or "")
        text = note if action is Action.NOTE else f"{ASKED}{note}"
        record(session, grievance, grievance.status, by, text, from_status=grievance.status, tell_citizen=False)
    elif action is Action.RESOLVE:
        _resolve(session, grievance, by, note or "")
    else:
        change_status(session, grievance, TARGET[action], by, note)


def waiting_for_citizen() -> ColumnElement[bool]:
    """Complaints whose office asked the citizen something and heard nothing from them since:
    the last question in the trail is later than the citizen's last entry (an answer, an
    appeal). Asking leaves the status as it was, so this is read from the trail, whose ids
    keep the order of events even within one second."""
    asked = select(func.max(GrievanceEvent.id)).where(
        GrievanceEvent.grievance_id == Grievance.id, GrievanceEvent.note.startswith(ASKED, autoescape=True)
    )
    heard = select(func.coalesce(func.max(GrievanceEvent.id), 0)).where(
        GrievanceEvent.grievance_id == Grievance.id, GrievanceEvent.actor == CITIZEN
    )
    return asked.scalar_subquery() > heard.scalar_subquery()


def outbox_kind(action: Action) -> str | None:
    """The outbox work an action leaves for after its commit (None: nothing to tell)."""
    if action is Action.ASK:
        return ASK_CITIZEN
    return None if action is Action.NOTE else NOTIFY_CITIZEN


def _ask(session: Session, grievance: Grievance, question: str) -> None:
    if contact_phone(session, grievance) is None:
        raise ActionRefused("this complaint has no phone number to ask", code="no_phone")
    payload = {"question": question.strip(), "locale": grievance.locale}
    session.add(OutboxEntry(kind=ASK_CITIZEN, grievance_id=grievance.id, payload=payload))


def _resolve(session: Session, grievance: Grievance, by: str, note: str) -> None:
    """Resolved, and the citizen's "is it resolved?" SMS says what the office did: the note
    travels in the notice's payload (notices words it, cut to the SMS budget)."""
    change_status(session, grievance, Status.RESOLVED, by, note, tell_citizen=False)
    notice = citizen_notice(grievance.id, Status.RESOLVED, grievance.locale, grievance.tracking_number)
    notice["payload"]["note"] = note.strip()
    session.add(OutboxEntry(**notice))


def _transfer(session: Session, grievance: Grievance, by: str, note: str, to_ministry: str) -> None:
    """Hand the complaint to ``to_ministry``, which starts afresh on it at the same tier.

    What belonged to the sending ministry's handling goes: the also-concerned ministry (the
    routing rule named it beside the old lead, or it is the receiving one), the officer who
    had taken it up, and the deadline. The receiving ministry gets its tier's full working
    days from the transfer, counted on the calendar as it is now; a transfer is a clock start
    like routing, an escalation or an appeal. The tier is kept: a transfer neither escalates
    the complaint nor takes it back to the first officer.

    Two limits keep a transfer from being a way to stop the clock: a complaint cannot be
    transferred to the ministry that has it, and a complaint already past its deadline keeps
    that deadline (the escalation job then moves it up a tier, at the receiving ministry).
    """
    if to_ministry == grievance.ministry_code:
        raise ActionRefused("the complaint is with this ministry already", code="same_ministry")
    now = utcnow()
    overdue = grievance.due_at is not None and as_utc(grievance.due_at) < now
    change_status(session, grievance, Status.TRANSFERRED, by, f"to {to_ministry}: {note}")
    route = route_for(session, grievance, now.astimezone(DHAKA).date())
    grievance.ministry_code = to_ministry
    grievance.office_level = route.office_level.value
    grievance.also_ministry_code = None
    grievance.assigned_to = None
    if not overdue:
        start_clock(session, grievance, now)
    change_status(session, grievance, Status.ROUTED, by, f"transferred to {to_ministry}")


def act(
    session: Session, grievance: Grievance, action: Action, by: str, note: str | None, to_ministry: str | None = None
) -> None:
    """Perform a staff action and commit, then tell the citizen."""
    apply_action(session, grievance, action, by, note, to_ministry)
    session.commit()
    from grievance.jobs import dispatch

    kind = outbox_kind(action)
    if kind is not None:
        dispatch([(kind, grievance.id)], coalesce=kind == NOTIFY_CITIZEN)
