"""What the beneficiary's "1" or "2" does to a redemption at an outlet, whichever channel
brings it: the code's SMS asks "not you? reply 2" while the code is valid, the receipt asks
the same for 7 days (notices.redemptions opens both questions).

- "1" answers neither: the SMS offers only "2", and a "1" meant for another question (did you
  receive your allowance?) must never hand over an e-token without its code. The beneficiary
  confirms a redemption on USSD, where the screen names it (ussd_app), or gives the code.
- "2" to the code: the redemption is refused if it still awaits its code, and in any case a
  complaint "e-token taken without me" is filed: someone at that outlet tried to take it.
- "2" to the receipt: the same complaint about the completed redemption. The debit stays;
  the complaint is the dispute, for the ministry to investigate.

The complaint is sensitive (Category.ETOKEN_TAKEN): the outlet is the accused, so it goes to
the programme ministry's grievance redress officer, never the local office. It names the
redemption (Grievance.redemption_id) and, in its text, the outlet's code.
"""

from __future__ import annotations

import contextlib
import enum

from flask import Flask
from sqlalchemy.orm import Session

from grievance import questions
from grievance.intake import Filing, file_grievance
from grievance.models import Category, Channel, CitizenQuestion, QuestionKind
from grievance.questions import Answered
from registry import redemptions
from registry.models import Outlet, Redemption, RedemptionStatus


class RedemptionAnswer(enum.Enum):
    REFUSED = "refused"  # "2" to the code: refused (if it still waited) and a complaint filed
    DISPUTED = "disputed"  # "2" to the receipt: a complaint filed, the debit stays


def register(app: Flask) -> None:
    """What an answer does to the questions a redemption's SMS asks."""
    questions.register(app, QuestionKind.REDEMPTION_CODE, code_answered)
    questions.register(app, QuestionKind.REDEMPTION_RECEIPT, receipt_answered)


def code_answered(
    session: Session, question: CitizenQuestion, phone: str, said_yes: bool, channel: Channel
) -> Answered | None:
    """The handler of the code's "not you? reply 2". None when a "1" comes too late (the code
    expired, or the operator finished it meanwhile): the answer goes to the next question."""
    redemption = session.get(Redemption, question.subject_id)
    if redemption is None or said_yes:  # a "1" never reaches it (QuestionKind.takes_yes)
        return None
    return not_me(session, phone, redemption.id, channel, question.locale)


def not_me(session: Session, phone: str, redemption_id: int, channel: Channel, locale: str) -> Answered:
    """The beneficiary says a redemption is not theirs, on any channel (an SMS "2" to the code,
    "No, not me" on USSD): refused if it still awaits its code, its code question closed, and
    the complaint filed; commits.

    The operator's confirm may have won the race (the code was entered while the answer was
    on its way): then the e-token was handed over and the outcome is DISPUTED, not REFUSED.
    The receipt's "not you? reply 2" stays open, as its SMS says: a "2" to it finds this same
    complaint (file_grievance's twin within a day), where closing it would hand that "2" to
    the phone's next question (a payment's "did you receive?")."""
    redemption = session.get_one(Redemption, redemption_id)
    # Expired or finished meanwhile: nothing is left to refuse, but the attempt is reported.
    if redemption.status is RedemptionStatus.AWAITING_CODE:
        with contextlib.suppress(redemptions.Refused):
            redemptions.decide_as_beneficiary(session, redemption.citizen_id, redemption.id, accept=False)
    questions.close(session, QuestionKind.REDEMPTION_CODE, redemption_id)
    session.refresh(redemption, ["status"])
    if redemption.status is RedemptionStatus.COMPLETED:
        return _file(session, redemption_id, locale, phone, channel, RedemptionAnswer.DISPUTED, "the code")
    return _file(session, redemption_id, locale, phone, channel, RedemptionAnswer.REFUSED, "the code")


def receipt_answered(
    session: Session, question: CitizenQuestion, phone: str, said_yes: bool, channel: Channel
) -> Answered | None:
    """The handler of the receipt's "not you? reply 2 within 7 days"."""
    redemption = session.get(Redemption, question.subject_id)
    if redemption is None or redemption.status is not RedemptionStatus.COMPLETED or said_yes:
        return None
    return _file(session, redemption.id, question.locale, phone, channel, RedemptionAnswer.DISPUTED, "the receipt")


def _file(
    session: Session,
    redemption_id: int,
    locale: str,
    phone: str,
    channel: Channel,
    outcome: RedemptionAnswer,
    answered: str,
) -> Answered:
    redemption = session.get_one(Redemption, redemption_id, populate_existing=True)
    outlet = session.get_one(Outlet, redemption.outlet_id)
    # For the redress officer: what, where and when, in a form they can search by outlet.
    when = redemption.started_at.strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"e-token taken without me: {redemption.quantity.normalize():f} {redemption.unit} of "
        f"{redemption.programme_code} at outlet {outlet.code} ({when}, redemption {redemption.id}, "
        f"{redemption.status.value}); the citizen answered 2 to {answered} by {channel.name}"
    )
    filing = Filing(
        phone=phone,
        category=Category.ETOKEN_TAKEN,
        programme_code=redemption.programme_code,
        text=text,
        channel=channel,
        locale=locale,
        citizen_id=redemption.citizen_id,
        redemption_id=redemption.id,
    )
    filed = file_grievance(session, filing)  # commits the answer with the complaint
    return Answered(outcome, filed.tracking_number, locale)
