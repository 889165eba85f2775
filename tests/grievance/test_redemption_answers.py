"""The beneficiary's "1" or "2" to a redemption's code or receipt: confirm, refuse, dispute;
a dispute is a sensitive complaint for the ministry's redress officer alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from grievance import questions
from grievance.citizen_answers import CONFIRMATION_OPEN_FOR, Confirmation
from grievance.jobs import route_grievance
from grievance.models import Category, Channel, CitizenQuestion, Grievance, OfficeLevel, QuestionKind
from grievance.questions import NoQuestion, answer, ask
from grievance.redemption_answers import RedemptionAnswer
from registry import redemptions
from registry.models import ETokenWallet, PaymentConfirmation, Redemption, RedemptionChannel, RedemptionStatus
from staff.scope import visible
from tests.factories import make_payment, make_staff
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.redemption_support import beneficiary, make_outlet


@pytest.fixture
def started(session, no_dispatch):
    """A 10 kg FFP redemption started at an outlet, awaiting its code: (outlet, citizen, redemption)."""
    outlet = make_outlet(session, name_en="Karim Rice Dealer")
    citizen, _ = beneficiary(session)
    start = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(10), None, RedemptionChannel.SMS
    )
    return outlet, citizen, start


def _later(monkeypatch, **delta):
    moved = dt.datetime.now(dt.UTC) + dt.timedelta(**delta)
    monkeypatch.setattr(questions, "utcnow", lambda: moved)


def _balance(session, redemption: Redemption) -> Decimal:
    session.expire_all()
    return Decimal(session.scalar(select(ETokenWallet.balance).where(ETokenWallet.id == redemption.wallet_id)))


def _sees(session, user, grievance: Grievance) -> bool:
    return session.scalar(select(Grievance.id).where(Grievance.id == grievance.id, visible(user))) is not None


def test_the_code_sms_opens_a_ten_minute_question_and_the_receipt_a_seven_day_one(session, started):
    outlet, citizen, start = started
    code_q = questions.open_question(session, citizen.mobile, QuestionKind.REDEMPTION_CODE, start.redemption.id)
    assert code_q is not None
    assert dt.timedelta(minutes=9) < code_q.open_until - code_q.asked_at <= dt.timedelta(minutes=10)
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)
    receipt_q = questions.open_question(session, citizen.mobile, QuestionKind.REDEMPTION_RECEIPT, start.redemption.id)
    assert receipt_q is not None and receipt_q.open_until - receipt_q.asked_at == dt.timedelta(days=7)
    # Once debited, the code's question is closed: a "2" now disputes the receipt.
    assert questions.open_question(session, citizen.mobile, QuestionKind.REDEMPTION_CODE, start.redemption.id) is None


def test_two_to_the_code_refuses_and_files_a_sensitive_complaint_for_the_redress_officer(session, started):
    outlet, citizen, start = started
    answered = answer(session, citizen.mobile, False, Channel.SMS)
    assert answered.outcome is RedemptionAnswer.REFUSED and answered.tracking_number
    session.expire_all()
    redemption = session.get(Redemption, start.redemption.id)
    assert redemption.status is RedemptionStatus.REFUSED
    assert _balance(session, redemption) == Decimal(30)  # nothing handed over
    grievance = session.scalars(select(Grievance).where(Grievance.tracking_number == answered.tracking_number)).one()
    assert (grievance.category, grievance.redemption_id, grievance.programme_code, grievance.citizen_id) == (
        Category.ETOKEN_TAKEN,
        redemption.id,
        "FFP",
        citizen.id,
    )
    assert (
        grievance.category.sensitive and outlet.code in grievance.text and "e-token taken without me" in grievance.text
    )
    route_grievance(grievance.id)
    session.refresh(grievance)
    # FFP's ministry, its redress officer alone: not the local office, no second ministry.
    assert (grievance.ministry_code, grievance.office_level, grievance.also_ministry_code) == (
        "MOFOOD",
        OfficeLevel.MINISTRY_GRO,
        None,
    )
    local_officer = make_staff(session, "officer", ministry_code="MOFOOD")
    redress_officer = make_staff(session, "gro", ministry_code="MOFOOD")
    session.commit()
    assert not _sees(session, local_officer, grievance)
    assert _sees(session, redress_officer, grievance)


def test_one_never_hands_over_an_e_token_it_goes_to_the_question_that_offers_one(session, started):
    """A rogue dealer's redemption waits for its code while the citizen, at home, answers "1"
    to "did you receive your allowance?", asked before it: the "1" answers the payment, and
    nothing is handed over."""
    _, citizen, start = started
    payment = make_payment(session, citizen, "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=dt.datetime.now(dt.UTC)))
    asked = ask(session, citizen.mobile, QuestionKind.PAYMENT_RECEIVED, payment.id, "bn", CONFIRMATION_OPEN_FOR)
    # Asked before the dealer's code was sent.
    session.get_one(CitizenQuestion, asked).asked_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.commit()
    newest = session.scalars(select(CitizenQuestion).order_by(CitizenQuestion.asked_at.desc())).first()
    assert newest.kind is QuestionKind.REDEMPTION_CODE
    answered = answer(session, citizen.mobile, True, Channel.SMS)
    assert answered.outcome is Confirmation.RECEIVED
    session.expire_all()
    redemption = session.get(Redemption, start.redemption.id)
    assert redemption.status is RedemptionStatus.AWAITING_CODE and _balance(session, redemption) == Decimal(30)
    assert session.get(PaymentConfirmation, payment.id).received is True


def test_one_with_only_redemption_questions_open_answers_nothing(session, started):
    outlet, citizen, start = started
    assert answer(session, citizen.mobile, True, Channel.SMS).outcome is NoQuestion.NOTHING_TO_ANSWER
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)  # now the receipt is open too
    assert answer(session, citizen.mobile, True, Channel.SMS).outcome is NoQuestion.NOTHING_TO_ANSWER
    session.expire_all()
    assert session.scalars(select(CitizenQuestion.answered_at.is_not(None))).all() == [False, False]
    assert session.scalars(select(Grievance)).all() == []


def test_two_to_the_receipt_within_seven_days_files_and_the_debit_stays(session, started, monkeypatch):
    outlet, citizen, start = started
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)
    _later(monkeypatch, days=6, hours=23)
    answered = answer(session, citizen.mobile, False, Channel.SMS)
    assert answered.outcome is RedemptionAnswer.DISPUTED and answered.tracking_number
    session.expire_all()
    redemption = session.get(Redemption, start.redemption.id)
    assert redemption.status is RedemptionStatus.COMPLETED and _balance(session, redemption) == Decimal(20)
    grievance = session.scalars(select(Grievance)).one()
    assert (grievance.category, grievance.redemption_id) == (Category.ETOKEN_TAKEN, redemption.id)
    assert outlet.code in grievance.text


def test_after_seven_days_two_to_the_receipt_answers_nothing(session, started, monkeypatch):
    outlet, citizen, start = started
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)
    _later(monkeypatch, days=7, minutes=1)
    assert answer(session, citizen.mobile, False, Channel.SMS).outcome is NoQuestion.NOTHING_TO_ANSWER
    assert session.scalars(select(Grievance)).all() == []


def test_after_seven_days_two_answers_the_next_open_question(session, started, monkeypatch):
    """A payment question asked before the receipt, still open when the receipt's closed."""
    outlet, citizen, start = started
    payment = make_payment(session, citizen, "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=dt.datetime.now(dt.UTC)))
    ask(session, citizen.mobile, QuestionKind.PAYMENT_RECEIVED, payment.id, "bn", dt.timedelta(days=30))
    session.commit()
    _later(monkeypatch, minutes=1)  # the receipt is asked after the payment question
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)
    _later(monkeypatch, days=7, minutes=2)
    answered = answer(session, citizen.mobile, False, Channel.SMS)
    assert answered.outcome is Confirmation.DENIED
    assert session.scalars(select(Grievance.category)).all() == [Category.PAYMENT_NOT_RECEIVED]


def test_a_payment_question_and_a_receipt_question_open_together_the_newest_is_answered(session, started, monkeypatch):
    outlet, citizen, start = started
    redemptions.confirm_code(session, outlet, start.redemption.id, start.code)  # the receipt's question
    _later(monkeypatch, minutes=1)
    payment = make_payment(session, citizen, "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=dt.datetime.now(dt.UTC)))
    ask(session, citizen.mobile, QuestionKind.PAYMENT_RECEIVED, payment.id, "bn", CONFIRMATION_OPEN_FOR)
    session.commit()
    assert answer(session, citizen.mobile, True, Channel.SMS).outcome is Confirmation.RECEIVED  # the newest
    second = answer(session, citizen.mobile, False, Channel.SMS)
    assert second.outcome is RedemptionAnswer.DISPUTED  # then the receipt
    assert session.scalars(select(Grievance.category)).all() == [Category.ETOKEN_TAKEN]
    kinds = session.execute(
        select(CitizenQuestion.kind, CitizenQuestion.answer)
        .where(CitizenQuestion.answered_at.is_not(None))
        .order_by(CitizenQuestion.id)
    ).all()
    assert kinds == [(QuestionKind.REDEMPTION_RECEIPT, False), (QuestionKind.PAYMENT_RECEIVED, True)]


def test_two_to_a_code_that_lapsed_meanwhile_still_reports_the_attempt(session, started):
    _, citizen, start = started
    # The redemption expired (the scheduler's sweep), though the question's 10 minutes have not ended.
    redemptions.expire_due(session, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    answered = answer(session, citizen.mobile, False, Channel.SMS)
    assert answered.outcome is RedemptionAnswer.REFUSED
    session.expire_all()
    assert session.get(Redemption, start.redemption.id).status is RedemptionStatus.EXPIRED
    assert session.scalars(select(Grievance.redemption_id)).all() == [start.redemption.id]


def test_one_to_a_code_that_lapsed_meanwhile_debits_nothing(session, started):
    _, citizen, start = started
    redemptions.expire_due(session, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    assert answer(session, citizen.mobile, True, Channel.SMS).outcome is NoQuestion.NOTHING_TO_ANSWER
    assert _balance(session, start.redemption) == Decimal(30)
