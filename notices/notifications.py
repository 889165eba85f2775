"""Complaint notifications: the grievance outbox's handlers that tell the citizen by SMS.

``deliver_complaint_updates`` words notify_citizen entries (a status change; "marked
resolved" asks "is it? 1 yes, 2 no", recorded as an open question with its message),
``deliver_questions`` sends ask_citizen entries (an officer's question). Each is the
handler the composition root registers for its kind (grievance.outbox), run by the
outbox's job after that job has cleared any queued mark.

``sent_about`` reads them back for the case page: each entry's message (its dedupe key is
the entry's id) with its delivery status, or what it will say while it waits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from foundation.db import transaction
from grievance import questions
from grievance.citizen_answers import RESOLUTION_OPEN_FOR
from grievance.contact import contact_phone
from grievance.models import Grievance, OutboxEntry, QuestionKind, Status, utcnow
from grievance.outbox import ASK_CITIZEN, NOTIFY_CITIZEN
from grievance.status import record
from notices.templates import complaint_update, information_request
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import opted_out
from outbound_sms.sending import create_message, send_batch

# (the complaint, an entry's payload) -> (the text, the template it is recorded under)
Wording = Callable[[Grievance, dict[str, Any]], tuple[str, str]]

log = logging.getLogger(__name__)


def deliver_complaint_updates(grievance_id: int) -> int:
    """Create one message per pending notification of this complaint; returns how many.
    A citizen who opted out, or a complaint with no phone, gets none (the entries are done)."""
    return _deliver(grievance_id, NOTIFY_CITIZEN, _status_update, honour_opt_out=True)


def deliver_questions(grievance_id: int) -> int:
    """Send the officers' pending questions about this complaint; returns how many.

    A question goes out as it did when the case page sent it itself: a phone that said
    STOP still gets it (only one with no phone gets none)."""
    return _deliver(grievance_id, ASK_CITIZEN, _question, honour_opt_out=False)


def _status_update(grievance: Grievance, payload: dict[str, Any]) -> tuple[str, str]:
    # "Marked resolved" carries the officer's note (grievance.actions puts it in the payload).
    text = complaint_update(payload["locale"], payload["tracking_number"], payload["status"], payload.get("note"))
    return text, f"complaint_{payload['status']}"


def _question(grievance: Grievance, payload: dict[str, Any]) -> tuple[str, str]:
    # The same text the officer saw in the preview (staff.cases.preview_question).
    return information_request(payload["locale"], grievance.tracking_number, payload["question"]), "information_request"


_WORDINGS: dict[str, Wording] = {NOTIFY_CITIZEN: _status_update, ASK_CITIZEN: _question}


def _dedupe_key(entry_id: int) -> str:
    """The key of the one message an outbox entry makes: how a message names its complaint."""
    return f"outbox:{entry_id}"


def _deliver(grievance_id: int, kind: str, wording: Wording, *, honour_opt_out: bool) -> int:
    """Idempotent: an entry is marked done in the same transaction that creates its message,
    and the message's dedupe key is the entry's id."""
    created: list[int] = []
    with transaction() as session:
        entries = _pending(session, grievance_id, kind)
        if not entries:
            return 0
        grievance = session.get(Grievance, grievance_id)
        phone = contact_phone(session, grievance)
        silenced = not phone or (honour_opt_out and opted_out(session, phone))
        if not phone and kind == ASK_CITIZEN:
            # The trail says the citizen was asked; it must also say the question never left.
            note = "question not sent: the complaint has no phone number now"
            record(
                session, grievance, grievance.status, "outbox", note, from_status=grievance.status, tell_citizen=False
            )
            log.warning("complaint %s: %d question(s) not sent, no phone number", grievance.id, len(entries))
        for entry in entries:
            entry.done_at = utcnow()
            if silenced:
                continue
            text, template = wording(grievance, entry.payload)
            message_id = create_message(
                session,
                phone=phone,
                text=text,
                locale=entry.payload["locale"],
                template=template,
                dedupe_key=_dedupe_key(entry.id),
            )
            created.append(message_id)
            if kind == NOTIFY_CITIZEN and entry.payload.get("status") == Status.RESOLVED.value:
                # The question is open once its SMS is recorded: a bare "1" or "2" answers it.
                resolved = QuestionKind.COMPLAINT_RESOLVED
                questions.ask(session, phone, resolved, grievance.id, entry.payload["locale"], RESOLUTION_OPEN_FOR)
    # Sent from this job, after the commit: a job per message would cost more than sending.
    send_batch(created)
    return len(created)


def _pending(session: Session, grievance_id: int, kind: str) -> list[OutboxEntry]:
    return list(
        session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.grievance_id == grievance_id, OutboxEntry.kind == kind)
            .where(OutboxEntry.done_at.is_(None))
            .order_by(OutboxEntry.id)
            .with_for_update(skip_locked=True)
        )
    )


@dataclass(frozen=True)
class SentToCitizen:
    """One SMS the citizen was sent (or is about to be) about a complaint, word for word."""

    kind: str  # notify_citizen (a status change) or ask_citizen (an officer's question)
    at: dt.datetime  # when the message was made; while it waits, when its entry was
    text: str  # as sent; before it is made (or when it never was), as it is worded
    status: MessageStatus | None  # None: no message (still waiting, or never sent)
    waiting: bool  # in the outbox, not yet made into a message
    error: str | None  # the provider's, for a message that failed
    segments: int | None
    status_at: dt.datetime | None  # when the message last moved (a delivery report)


# An entry's message by its dedupe key: indexed (unique), looked up once per entry.
_MESSAGE_OF_ENTRY = Message.dedupe_key == literal("outbox:").concat(cast(OutboxEntry.id, String))


def sent_about(session: Session, grievance: Grievance, limit: int = 30) -> tuple[list[SentToCitizen], bool]:
    """The SMS about this complaint, newest first, at most ``limit`` of them (one query), and
    whether there are older ones: every status notice and question, with the message's
    delivery status, or what it says while it waits (or why none was made: the citizen
    opted out, or there was no phone)."""
    rows = session.execute(
        select(
            OutboxEntry.kind,
            OutboxEntry.payload,
            OutboxEntry.created_at,
            OutboxEntry.done_at,
            Message.text,
            Message.status,
            Message.error,
            Message.segments,
            Message.created_at,
            Message.updated_at,
        )
        .outerjoin(Message, _MESSAGE_OF_ENTRY)
        .where(OutboxEntry.grievance_id == grievance.id, OutboxEntry.kind.in_(list(_WORDINGS)))
        .order_by(OutboxEntry.id.desc())
        .limit(limit + 1)
    ).all()
    sent = []
    for kind, payload, queued_at, done_at, text, status, error, parts, made_at, moved_at in rows[:limit]:
        if text is None:
            text = _WORDINGS[kind](grievance, payload)[0]
        sent.append(
            SentToCitizen(
                kind=kind,
                at=made_at or queued_at,
                text=text,
                status=status,
                waiting=status is None and done_at is None,
                error=error,
                segments=parts,
                status_at=moved_at,
            )
        )
    return sent, len(rows) > limit
