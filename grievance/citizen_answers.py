"""What a citizen's answer does, whichever channel it came by: "was it resolved? 1 yes /
2 no", "did you receive Tk X? 1 yes / 2 no" (grievance.questions finds which one a bare
"1" or "2" answers, and calls the handlers registered here), and the information an office
asked for.

Each function decides, writes and commits, and returns what happened; the channel only
words the reply. The citizen has their reply, so none of these changes is notified again.
"""

from __future__ import annotations

import datetime as dt
import enum

from flask import Flask
from sqlalchemy.orm import Session

from foundation.privacy import phone_hashes
from grievance import questions
from grievance.intake import Filing, file_grievance, find_by_tracking_number
from grievance.models import Category, Channel, CitizenQuestion, Grievance, QuestionKind, Status, utcnow
from grievance.questions import Answered
from grievance.status import change_status, record
from registry.models import Payment, PaymentConfirmation
from registry.services import caller_by_mobile

INFORMATION_MAX_CHARS = 400  # of the citizen's answer, in the trail
# As grievance.jobs.close_unconfirmed: a resolution unanswered this long is closed unconfirmed.
RESOLUTION_OPEN_FOR = dt.timedelta(days=7)
# "Did you receive it?" stays open as long: a citizen may collect a week after the credit.
CONFIRMATION_OPEN_FOR = dt.timedelta(days=7)

__all__ = ["Answered", "Confirmation", "Information", "Resolution"]


class Resolution(enum.Enum):
    NOTHING_TO_ANSWER = "nothing to answer"  # no resolved complaint of theirs
    CLOSED = "closed"  # yes: resolved
    APPEALED = "appealed"  # no: reopened, and at the appeal officer


class Confirmation(enum.Enum):
    RECEIVED = "received"  # yes: the payment reached them
    DENIED = "denied"  # no: a "payment not received" complaint is filed, linked to the payment


class Information(enum.Enum):
    NOT_THEIRS = "not theirs"  # no such complaint, or another person's: the same to the sender
    NOTHING_SAID = "nothing said"
    ADDED = "added"


def register(app: Flask) -> None:
    """What an answer does to the questions whose rules are the grievance system's."""
    questions.register(app, QuestionKind.COMPLAINT_RESOLVED, complaint_resolved)
    questions.register(app, QuestionKind.PAYMENT_RECEIVED, payment_received)


def _answered(outcome: Resolution | Information, grievance: Grievance) -> Answered:
    return Answered(outcome, grievance.tracking_number, grievance.locale)


def answer_resolution(
    session: Session, phone: str, tracking_number: str | None, said_yes: bool, *, channel: Channel
) -> Answered:
    """Yes closes the complaint; no reopens it and sends it to the appeal officer, with that
    tier's clock. Without a number, the answer is to the open "is it resolved?" question this
    phone was asked last; with one, to that complaint if it is resolved and the sender's: it
    filed it, or was asked about it. Commits."""
    if tracking_number is None:
        answered = questions.answer(session, phone, said_yes, channel, kind=QuestionKind.COMPLAINT_RESOLVED)
        nothing = answered.outcome is questions.NoQuestion.NOTHING_TO_ANSWER
        return Answered(Resolution.NOTHING_TO_ANSWER) if nothing else answered
    grievance = find_by_tracking_number(session, tracking_number)
    if grievance is None or grievance.status is not Status.RESOLVED:
        return Answered(Resolution.NOTHING_TO_ANSWER)
    asked = questions.open_question(session, phone, QuestionKind.COMPLAINT_RESOLVED, grievance.id)
    if asked is None and grievance.phone_hash not in phone_hashes(phone):
        return Answered(Resolution.NOTHING_TO_ANSWER)
    if asked is not None:
        asked.answered_at, asked.answer = utcnow(), said_yes
    answered = _settle_resolution(session, grievance, phone, said_yes, channel)
    questions.close(session, QuestionKind.COMPLAINT_RESOLVED, grievance.id)
    session.commit()
    return answered


def complaint_resolved(
    session: Session, question: CitizenQuestion, phone: str, said_yes: bool, channel: Channel
) -> Answered | None:
    """The handler of "is it resolved?": None when the complaint is no longer resolved (an
    office or the 7-day clock closed it meanwhile)."""
    grievance = session.get(Grievance, question.subject_id, with_for_update=True)
    if grievance is None or grievance.status is not Status.RESOLVED:
        return None
    return _settle_resolution(session, grievance, phone, said_yes, channel)


def _settle_resolution(
    session: Session, grievance: Grievance, phone: str, said_yes: bool, channel: Channel
) -> Answered:
    _rehash(grievance, phone)
    by = channel.name
    if said_yes:
        change_status(session, grievance, Status.CLOSED, "citizen", f"confirmed resolved by {by}", tell_citizen=False)
        return _answered(Resolution.CLOSED, grievance)
    note = f"not resolved, said the citizen by {by}"
    change_status(session, grievance, Status.REOPENED, "citizen", note, tell_citizen=False)
    change_status(
        session, grievance, Status.APPEALED, "system", "reopened by the citizen: appeal tier", tell_citizen=False
    )
    return _answered(Resolution.APPEALED, grievance)


def payment_received(
    session: Session, question: CitizenQuestion, phone: str, said_yes: bool, channel: Channel
) -> Answered | None:
    """The handler of "did you receive Tk X?": yes is recorded; no is recorded and files a
    "payment not received" complaint about that payment, routed as payment failures are."""
    confirmation = session.get(PaymentConfirmation, question.subject_id, with_for_update=True)
    payment = session.get(Payment, question.subject_id)
    if confirmation is None or payment is None or confirmation.answered_at is not None:
        return None
    confirmation.received, confirmation.answered_at = said_yes, utcnow()
    if said_yes:
        return Answered(Confirmation.RECEIVED, locale=question.locale)
    filing = Filing(
        phone=phone,
        category=Category.PAYMENT_NOT_RECEIVED,
        programme_code=payment.programme_code,
        # For the office: what was denied (the citizen's own words are their "2").
        text=f"Tk {payment.amount_bdt:,.0f} for {payment.cycle} not received, said the citizen by {channel.name}",
        channel=channel,
        locale=question.locale,
        citizen_id=payment.citizen_id,
        payment_id=payment.id,
    )
    filed = file_grievance(session, filing)  # commits the answer with the complaint
    return Answered(Confirmation.DENIED, filed.tracking_number, question.locale)


def add_information(
    session: Session, phone: str, tracking_number: str, text: str, *, channel: Channel
) -> Answered[Information]:
    """The answer to an office's question, added to the complaint's trail (status unchanged).
    Only the complainant may add to it: from the phone that filed it, or the registered
    phone of the citizen it is about."""
    grievance = find_by_tracking_number(session, tracking_number)
    if grievance is None or not is_complainant(session, grievance, phone):
        return Answered(Information.NOT_THEIRS)
    if not text.strip():
        return Answered(Information.NOTHING_SAID)
    _rehash(grievance, phone)
    note = f"the citizen answered by {channel.name}: {text.strip()[:INFORMATION_MAX_CHARS]}"
    record(session, grievance, grievance.status, "citizen", note, from_status=grievance.status, tell_citizen=False)
    session.commit()
    return _answered(Information.ADDED, grievance)


def is_complainant(session: Session, grievance: Grievance, phone: str) -> bool:
    """Whether ``phone`` (E.164) filed the complaint or is the registered phone of its citizen."""
    if grievance.phone_hash in phone_hashes(phone):
        return True
    caller = caller_by_mobile(session, phone) if grievance.citizen_id is not None else None
    return caller is not None and caller.citizen_id == grievance.citizen_id


def _rehash(grievance: Grievance, phone: str) -> None:
    """A complaint the phone filed under an earlier key moves to the current one with the
    change being made to it, so the earlier key can later be dropped."""
    current, *earlier = phone_hashes(phone)
    if grievance.phone_hash in earlier:
        grievance.phone_hash = current
