"""Working a case: the actions a staff member takes, each audited and told to the citizen."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.i18n import to_ascii_digits
from grievance.actions import Action, ActionRefused, apply_action, check, outbox_kind
from grievance.contact import contact_phone
from grievance.jobs import dispatch
from grievance.models import Grievance, Status
from grievance.outbox import NOTIFY_CITIZEN
from grievance.status import TransitionNotAllowed
from grievance.tracking import is_valid
from notices.templates import information_request
from outbound_sms.encoding import segments
from registry.models import Ministry
from staff.models import StaffAudit, StaffUser
from staff.scope import may_act, may_change, visible

# The actions the workspace offers, in the order its menu lists them ("start", for in
# progress, is the CLI's only).
OFFERED: tuple[Action, ...] = (
    Action.ACKNOWLEDGE,
    Action.NOTE,
    Action.ASK,  # by SMS, the question previewed first
    Action.TRANSFER,
    Action.RESOLVE,
    Action.REJECT,
)


QUESTION_MAX_PARTS = 2  # a longer question is refused, never cut: the officer shortens it
NOTE_MAX_CHARS = 500


class NotAllowed(Exception):
    """The role may read this case but not act on it (or, for an also-concerned ministry,
    only add notes)."""


def offered_action(value: str) -> Action:
    """The offered action a form names; ValueError for any other text."""
    action = Action(value)
    if action not in OFFERED:
        raise ValueError(f"{value!r} is not offered here")
    return action


def allowed_actions(user: StaffUser, grievance: Grievance) -> list[Action]:
    """What ``user`` may do to ``grievance``: every offered action for the lead ministry,
    notes for an also-concerned one, nothing for readers."""
    if not may_act(user):
        return []
    if may_change(user, grievance):
        return list(OFFERED)
    return [Action.NOTE]


def find_case(session: Session, user: StaffUser, tracking_number: str) -> Grievance | None:
    """The case, if ``user`` may see it; None answers 404 (whether it exists or not). A number
    that cannot be a tracking number (a NUL byte, which PostgreSQL refuses, or any other
    text) is not looked up."""
    number = to_ascii_digits(tracking_number.strip())
    if not is_valid(number):
        return None
    return session.scalar(select(Grievance).where(Grievance.tracking_number == number, visible(user)))


def clean_text(text: str | None) -> str:
    """The officer's text as typed, never cut (the request size limit bounds it). PostgreSQL
    refuses a NUL byte in text; nobody means one in a note."""
    return (text or "").replace("\x00", "").strip()


def clean_note(note: str | None) -> str:
    return clean_text(note)[:NOTE_MAX_CHARS]


class QuestionTooLong(ActionRefused):
    """The question would go out in more parts than a citizen's phone is asked to join."""

    def __init__(self, parts: int) -> None:
        super().__init__(f"the question needs {parts} SMS parts", code="too_long")
        self.parts = parts


@dataclass(frozen=True)
class QuestionPreview:
    text: str  # exactly what the citizen will receive
    encoding: str
    units: int
    parts: int  # as the configured provider will bill it

    @property
    def fits(self) -> bool:
        return self.parts <= QUESTION_MAX_PARTS


def preview_question(grievance: Grievance, question: str) -> QuestionPreview:
    """The SMS that asking ``question`` would send, in the citizen's language, and its parts."""
    # The whole question: a cut one would be counted (and shown) as something else than typed.
    text = information_request(grievance.locale, grievance.tracking_number, clean_text(question))
    encoded = segments(text)
    return QuestionPreview(text, encoded.encoding, encoded.units, encoded.segments)


def audit(session: Session, user: StaffUser, action: str, grievance: Grievance | None = None, **detail) -> None:
    session.add(
        StaffAudit(staff_id=user.id, action=action, grievance_id=grievance.id if grievance else None, detail=detail)
    )


def perform(
    session: Session,
    user: StaffUser,
    grievance: Grievance,
    action: Action,
    note: str = "",
    to_ministry: str = "",
) -> None:
    """Do ``action``, audit it and commit, then send the citizen's SMS; raises NotAllowed,
    ActionRefused or TransitionNotAllowed (and changes nothing)."""
    if action not in allowed_actions(user, grievance):
        raise NotAllowed(action.value)
    # A question is counted whole and refused when too long, never cut: any text over the note
    # limit also needs more parts than may be sent.
    note = clean_text(note) if action is Action.ASK else clean_note(note)
    to_ministry = (to_ministry or "").strip().upper()
    actor = f"staff:{user.id}"
    if action is Action.TRANSFER and not _is_ministry(session, to_ministry):
        raise ActionRefused("choose the ministry to transfer to", code="ministry_required")
    check(action, note, to_ministry)  # before a question is put in the outbox
    if action is Action.ASK:
        _check_question(grievance, note)
    if action is Action.ACKNOWLEDGE:
        grievance.assigned_to = user.id  # the officer who takes it up may see the phone
    apply_action(session, grievance, action, actor, note or None, to_ministry or None)
    audit(session, user, action.value, grievance, note=note[:200], to=to_ministry or None)
    session.commit()
    kind = outbox_kind(action)
    if kind is not None:
        dispatch([(kind, grievance.id)], coalesce=kind == NOTIFY_CITIZEN)


def _is_ministry(session: Session, code: str) -> bool:
    """Whether ``code`` names a ministry; text that cannot be a code is not looked up."""
    return bool(re.fullmatch(r"[A-Z0-9_]{1,16}", code, flags=re.ASCII)) and session.get(Ministry, code) is not None


def _check_question(grievance: Grievance, question: str) -> None:
    """The question goes out whole or not at all: refused when it needs more SMS parts than
    may be sent (grievance.actions puts it in the outbox)."""
    preview = preview_question(grievance, question)
    if not preview.fits:
        raise QuestionTooLong(preview.parts)


def reveal_phone(session: Session, user: StaffUser, grievance: Grievance) -> str | None:
    """The full number, for the officer the case is assigned to only; every reveal audited."""
    if grievance.assigned_to != user.id:
        return None
    audit(session, user, "reveal_phone", grievance)
    session.commit()
    return contact_phone(session, grievance)


def bulk_acknowledge(session: Session, user: StaffUser, tracking_numbers: Sequence[str]) -> int:
    """Acknowledge every listed case the user may see and that is waiting; returns how many."""
    done = 0
    for number in tracking_numbers[:200]:
        grievance = find_case(session, user, number)
        if grievance is None or grievance.status is not Status.ROUTED or not may_change(user, grievance):
            continue
        try:
            perform(session, user, grievance, Action.ACKNOWLEDGE)
        except (ActionRefused, TransitionNotAllowed):
            session.rollback()
            continue
        done += 1
    return done
