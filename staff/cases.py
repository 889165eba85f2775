"""Working a case: the actions a staff member takes, each audited and told to the citizen,
and the case file the case page shows (the citizen, the conversation, notes, audit)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from foundation.clock import as_utc
from foundation.i18n import to_ascii_digits
from grievance.actions import Action, ActionRefused, apply_action, check, outbox_kind
from grievance.contact import contact_phone
from grievance.jobs import dispatch
from grievance.models import Channel, Grievance, GrievanceEvent, Status
from grievance.outbox import NOTIFY_CITIZEN
from grievance.status import TransitionNotAllowed
from grievance.tracking import is_valid
from notices.notifications import SentToCitizen, sent_about
from notices.templates import complaint_resolved, information_request, sms_note
from outbound_sms.encoding import segments
from registry.case_facts import CaseFacts, case_facts
from registry.models import Ministry
from staff.models import Role, StaffAudit, StaffUser
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
    """An SMS an officer's text would send: a question (refused when too long) or a
    resolution's note (cut to fit, never refused)."""

    text: str  # exactly what the citizen will receive
    encoding: str
    units: int
    parts: int  # as the configured provider will bill it
    shortened: bool = False  # the note is cut so that the SMS fits

    @property
    def fits(self) -> bool:
        return self.parts <= QUESTION_MAX_PARTS


def preview_question(grievance: Grievance, question: str) -> QuestionPreview:
    """The SMS that asking ``question`` would send, in the citizen's language, and its parts."""
    # The whole question: a cut one would be counted (and shown) as something else than typed.
    text = information_request(grievance.locale, grievance.tracking_number, clean_text(question))
    encoded = segments(text)
    return QuestionPreview(text, encoded.encoding, encoded.units, encoded.segments)


def preview_resolution(grievance: Grievance, note: str) -> QuestionPreview:
    """The "is it resolved?" SMS resolving with ``note`` would send: the note as ``perform``
    keeps it, worded and cut as the notice will be (notices.templates.complaint_resolved)."""
    kept = clean_note(note)
    text = complaint_resolved(grievance.locale, grievance.tracking_number, kept)
    encoded = segments(text)
    shortened = bool(sms_note(kept)) and sms_note(kept) not in text
    return QuestionPreview(text, encoded.encoding, encoded.units, encoded.segments, shortened)


@dataclass(frozen=True)
class SmsFrame:
    """The SMS around an officer's text, for the page's own count while typing: the text goes
    between ``before`` and ``after`` (the server's preview stays the authority)."""

    before: str
    after: str


_TYPED = "\ue000"  # a private-use character no officer types, to find where the text goes


def sms_frames(grievance: Grievance) -> dict[str, SmsFrame]:
    """Per action that sends an officer's text: the SMS around it, in the citizen's language."""
    frames = {}
    texts = {
        Action.ASK.value: information_request(grievance.locale, grievance.tracking_number, _TYPED),
        Action.RESOLVE.value: complaint_resolved(grievance.locale, grievance.tracking_number, _TYPED),
    }
    for action, text in texts.items():
        before, _, after = text.partition(_TYPED)
        frames[action] = SmsFrame(before, after)
    return frames


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


# -- the case page: the whole case, each list bounded -------------------------------------
TIMELINE_LIMIT = 50
CONVERSATION_LIMIT = 30  # of each side: what the citizen was sent, and what they said
NOTES_LIMIT = 30
AUDIT_LIMIT = 30

CITIZEN = "citizen"  # the actor of whatever the citizen's own answer did (grievance.citizen_answers)
ASKED = "asked the citizen: "  # how grievance.actions records a question (its SMS is in the conversation)
WROTE_AGAIN = "the citizen wrote again: "  # how grievance.intake adds a twin filing's words


@dataclass(frozen=True)
class Said:
    """Something the citizen said about the complaint: its filing, an answer to an office's
    question, the same complaint told again, or their answer to "is it resolved?"."""

    at: dt.datetime
    channel: Channel | None  # None where the trail does not say
    text: str  # their words as recorded; for a yes/no answer, the key they sent ("1" or "2")
    answer: bool | None = None  # yes or no to "is it resolved?"; None for words
    filing: bool = False  # the complaint as they filed it


@dataclass(frozen=True)
class Line:
    """One entry of the conversation, in time order: sent to the citizen, or said by them."""

    at: dt.datetime
    sent: SentToCitizen | None = None
    said: Said | None = None


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    action: str
    detail: dict[str, Any]
    staff_name: str | None
    staff_role: Role | None


@dataclass(frozen=True)
class CaseFile:
    facts: CaseFacts | None  # None: the complainant is not in the registry
    conversation: list[Line]
    older_conversation: bool  # more than the page shows
    timeline: list[GrievanceEvent]  # status changes, oldest first
    older_timeline: bool
    notes: list[GrievanceEvent]  # internal: the citizen was not told them
    older_notes: bool
    audit: list[AuditRow]  # newest first
    older_audit: bool
    staff: dict[int, tuple[str, Role]]  # who the "staff:<id>" actors of the trail are


# How grievance.citizen_answers and grievance.intake write what the citizen said; the tests
# of the case page drive those writers, so a changed wording shows there.
_ANSWERED = re.compile(r"the citizen answered by (?P<channel>[A-Z]+): (?P<text>.*)", re.S)
_WROTE_AGAIN = re.compile(rf"{WROTE_AGAIN}(?P<text>.*)", re.S)
_CONFIRMED = re.compile(r"confirmed resolved by (?P<channel>[A-Z]+)")
_DENIED = re.compile(r"not resolved, said the citizen by (?P<channel>[A-Z]+)")


def case_file(session: Session, grievance: Grievance, locale: str) -> CaseFile:
    """Everything the case page shows beside the complaint itself, in a fixed number of
    queries however long the citizen's history or the case's trail: each list is bounded,
    newest kept, and says whether there is more."""
    facts = case_facts(session, grievance.citizen_id, locale) if grievance.citizen_id else None
    trail = select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id)
    same_status = GrievanceEvent.from_status == GrievanceEvent.to_status
    # The filing's entry has no status before it; neither has "the same complaint again",
    # which only adds the citizen's words.
    filing = and_(
        GrievanceEvent.from_status.is_(None),
        or_(GrievanceEvent.note.is_(None), GrievanceEvent.note.not_like(f"{WROTE_AGAIN}%")),
    )
    changes = _newest(
        session, trail.where(or_(filing, GrievanceEvent.from_status != GrievanceEvent.to_status)), TIMELINE_LIMIT
    )
    # The citizen's words and answers after the filing (a status change they caused is in the
    # timeline too; the filing's own words are the complaint's text).
    by_citizen = trail.where(GrievanceEvent.actor == CITIZEN, GrievanceEvent.note.is_not(None), not_(filing))
    theirs = _newest(session, by_citizen, CONVERSATION_LIMIT)
    notes = _newest(
        session,
        trail.where(
            same_status,
            GrievanceEvent.actor != CITIZEN,
            GrievanceEvent.note.is_not(None),
            GrievanceEvent.note.not_like(f"{ASKED}%"),
        ),
        NOTES_LIMIT,
    )
    sent, older_sent = sent_about(session, grievance, CONVERSATION_LIMIT)
    conversation = [Line(as_utc(message.at), sent=message) for message in sent[::-1]]
    conversation += [Line(said.at, said=said) for said in _said(grievance, theirs[0])]
    conversation.sort(key=_in_time)
    audit, older_audit = _audit(session, grievance)
    return CaseFile(
        facts=facts,
        conversation=conversation,
        older_conversation=older_sent or theirs[1],
        timeline=changes[0],
        older_timeline=changes[1],
        notes=notes[0],
        older_notes=notes[1],
        audit=audit,
        older_audit=older_audit,
        staff=_staff_named(session, [*changes[0], *notes[0]]),
    )


def _in_time(line: Line) -> tuple[dt.datetime, int]:
    """By the second (SQLite keeps a trail entry's time to the second only); within one
    second the filing comes first, then what was sent, then what the citizen answered (each
    already in the order it was written)."""
    rank = 1 if line.sent else 0 if line.said and line.said.filing else 2
    return line.at.replace(microsecond=0), rank


def _newest(session: Session, query, limit: int) -> tuple[list[GrievanceEvent], bool]:
    """The newest ``limit`` events of ``query`` in time order, and whether there are older ones."""
    rows = list(session.scalars(query.order_by(GrievanceEvent.id.desc()).limit(limit + 1)))
    return rows[:limit][::-1], len(rows) > limit


def _said(grievance: Grievance, events: list[GrievanceEvent]) -> list[Said]:
    """What the citizen said: the complaint as filed on a citizen's channel, then each of
    their words and answers the trail records."""
    said = []
    if grievance.text and grievance.channel in (Channel.SMS, Channel.USSD):
        said.append(Said(as_utc(grievance.created_at), grievance.channel, grievance.text, filing=True))
    for event in events:
        said.append(_one_said(event))
    return said


def _one_said(event: GrievanceEvent) -> Said:
    at, note = as_utc(event.at), event.note or ""
    if found := _ANSWERED.fullmatch(note):
        return Said(at, _channel(found["channel"]), found["text"])
    if found := _WROTE_AGAIN.fullmatch(note):
        return Said(at, None, found["text"])
    if found := _CONFIRMED.fullmatch(note):
        return Said(at, _channel(found["channel"]), "1", answer=True)
    if found := _DENIED.fullmatch(note):
        return Said(at, _channel(found["channel"]), "2", answer=False)
    return Said(at, None, note)


def _channel(name: str) -> Channel | None:
    return Channel.__members__.get(name)


def _audit(session: Session, grievance: Grievance) -> tuple[list[AuditRow], bool]:
    rows = session.execute(
        select(StaffAudit.at, StaffAudit.action, StaffAudit.detail, StaffUser.name, StaffUser.role)
        .outerjoin(StaffUser, StaffUser.id == StaffAudit.staff_id)
        .where(StaffAudit.grievance_id == grievance.id)
        .order_by(StaffAudit.id.desc())
        .limit(AUDIT_LIMIT + 1)
    ).all()
    return [AuditRow(as_utc(at), *rest) for at, *rest in rows[:AUDIT_LIMIT]], len(rows) > AUDIT_LIMIT


def staff_id_of(actor: str) -> int | None:
    """The staff account behind a trail's actor ("staff:12"), if it is one."""
    kind, _, number = actor.partition(":")
    return int(number) if kind == "staff" and number.isascii() and number.isdigit() else None


def _staff_named(session: Session, events: list[GrievanceEvent]) -> dict[int, tuple[str, Role]]:
    ids = {staff_id for event in events if (staff_id := staff_id_of(event.actor)) is not None}
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.name, StaffUser.role).where(StaffUser.id.in_(ids)))
    return {staff_id: (name, role) for staff_id, name, role in rows}
