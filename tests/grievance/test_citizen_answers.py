"""The citizen's answers ("was it resolved?", the information an office asked for) as the
grievance service decides them, whichever channel brings them."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from flask import current_app
from sqlalchemy import func, select

from foundation.clock import as_utc, utcnow
from grievance.citizen_answers import (
    CONFIRMATION_OPEN_FOR,
    RESOLUTION_OPEN_FOR,
    Confirmation,
    Information,
    Resolution,
    add_information,
    answer_resolution,
)
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Channel, Grievance, OutboxEntry, QuestionKind, Status
from grievance.questions import answer, ask
from grievance.sla import add_working_days, holidays, tier_limit
from grievance.status import change_status
from registry.models import PaymentConfirmation
from tests.factories import make_citizen, make_filing, make_payment

PHONE = "+8801712345678"
OTHER_PHONE = "+8801999000333"


@pytest.fixture
def file(session, no_dispatch):
    """file(phone=..., resolve=True, citizen_id=...): a routed complaint, marked resolved
    (and the phone asked "is it resolved?", as its SMS does) unless told not to."""

    def make(phone: str = PHONE, resolve: bool = True, **changes) -> Grievance:
        grievance = file_grievance(session, make_filing(phone=phone, **changes)).grievance
        route_grievance(grievance.id)
        session.refresh(grievance)
        if resolve:
            change_status(session, grievance, Status.RESOLVED, "officer", "paid")
            ask(session, phone, QuestionKind.COMPLAINT_RESOLVED, grievance.id, grievance.locale, RESOLUTION_OPEN_FOR)
        session.commit()
        return grievance

    return make


def _notices(session, grievance: Grievance) -> int:
    return session.scalar(
        select(func.count())
        .select_from(OutboxEntry)
        .where(OutboxEntry.grievance_id == grievance.id, OutboxEntry.kind == "notify_citizen")
    )


def test_yes_closes_the_resolved_complaint_without_a_second_notice(session, file):
    grievance = file(locale="bn")
    notices = _notices(session, grievance)
    answered = answer_resolution(session, PHONE, None, True, channel=Channel.SMS)
    assert (answered.outcome, answered.tracking_number, answered.locale) == (
        Resolution.CLOSED,
        grievance.tracking_number,
        "bn",
    )
    session.expire_all()
    assert grievance.status is Status.CLOSED
    assert (grievance.events[-1].actor, grievance.events[-1].note) == ("citizen", "confirmed resolved by SMS")
    assert _notices(session, grievance) == notices  # the channel's reply told the citizen


def test_no_reopens_it_at_the_appeal_officer_with_that_tiers_clock(session, file):
    grievance = file()
    answered = answer_resolution(session, PHONE, None, False, channel=Channel.USSD)
    assert answered.outcome is Resolution.APPEALED and answered.tracking_number == grievance.tracking_number
    session.expire_all()
    assert (grievance.status, grievance.tier) == (Status.APPEALED, 3)
    started = as_utc(grievance.sla_started_at)
    assert as_utc(grievance.due_at) == add_working_days(started, tier_limit(3), holidays(session))
    assert [(e.to_status, e.note) for e in grievance.events[-2:]] == [
        (Status.REOPENED, "not resolved, said the citizen by USSD"),
        (Status.APPEALED, "reopened by the citizen: appeal tier"),
    ]


def test_without_a_number_the_answer_is_to_the_phones_last_resolved_complaint(session, file):
    earlier = file()
    later = file(category=Category.WRONG_DATA)  # another complaint, not a repeat
    assert answer_resolution(session, PHONE, None, True, channel=Channel.SMS).tracking_number == later.tracking_number
    session.expire_all()
    assert (earlier.status, later.status) == (Status.RESOLVED, Status.CLOSED)


def test_with_a_number_the_answer_is_to_that_complaint(session, file):
    earlier = file()
    file(category=Category.WRONG_DATA)
    answered = answer_resolution(session, PHONE, earlier.tracking_number, True, channel=Channel.SMS)
    assert answered.tracking_number == earlier.tracking_number
    session.expire_all()
    assert earlier.status is Status.CLOSED


def test_there_is_nothing_to_answer_for_another_phone_or_a_complaint_not_resolved(session, file):
    resolved = file()
    waiting = file(phone=OTHER_PHONE, resolve=False)
    assert answer_resolution(session, OTHER_PHONE, None, True, channel=Channel.SMS).outcome is (
        Resolution.NOTHING_TO_ANSWER
    )
    for phone, number in ((OTHER_PHONE, resolved.tracking_number), (OTHER_PHONE, waiting.tracking_number)):
        answered = answer_resolution(session, phone, number, False, channel=Channel.SMS)
        assert (answered.outcome, answered.tracking_number) == (Resolution.NOTHING_TO_ANSWER, None)
    session.expire_all()
    assert (resolved.status, waiting.status) == (Status.RESOLVED, Status.ROUTED)


def test_information_is_added_to_the_trail_from_the_filing_phone(session, file):
    grievance = file(resolve=False)
    notices = _notices(session, grievance)
    added = add_information(session, PHONE, grievance.tracking_number, " I collect at Debidwar ", channel=Channel.SMS)
    assert (added.outcome, added.tracking_number) == (Information.ADDED, grievance.tracking_number)
    session.expire_all()
    last = grievance.events[-1]
    assert (last.actor, last.from_status, last.to_status) == ("citizen", Status.ROUTED, Status.ROUTED)
    assert last.note == "the citizen answered by SMS: I collect at Debidwar"
    assert _notices(session, grievance) == notices


def test_the_citizens_registered_phone_may_add_to_a_complaint_filed_from_another(session, file):
    citizen = make_citizen(session, mobile=OTHER_PHONE)
    session.commit()
    grievance = file(phone=PHONE, resolve=False, citizen_id=citizen.id)
    added = add_information(session, OTHER_PHONE, grievance.tracking_number, "paid in August", channel=Channel.SMS)
    assert added.outcome is Information.ADDED


def test_nobody_else_adds_to_a_complaint_and_an_empty_answer_adds_nothing(session, file):
    grievance = file(resolve=False)
    events = len(grievance.events)
    assert add_information(session, OTHER_PHONE, grievance.tracking_number, "spam", channel=Channel.SMS).outcome is (
        Information.NOT_THEIRS
    )
    assert add_information(session, PHONE, "000000000", "hello", channel=Channel.SMS).outcome is Information.NOT_THEIRS
    assert add_information(session, PHONE, grievance.tracking_number, "  ", channel=Channel.SMS).outcome is (
        Information.NOTHING_SAID
    )
    session.expire_all()
    assert len(grievance.events) == events


def test_a_long_answer_is_kept_to_400_characters(session, file):
    grievance = file(resolve=False)
    add_information(session, PHONE, grievance.tracking_number, "x" * 1000, channel=Channel.SMS)
    session.expire_all()
    assert grievance.events[-1].note == "the citizen answered by SMS: " + "x" * 400


def test_an_answer_moves_a_complaint_filed_under_an_earlier_phone_key_to_the_current_one(session, file):
    grievance = file()
    earlier_key = current_app.config["SECRET_KEY"].encode()  # as hashes were written before the phone key
    grievance.phone_hash = hmac.new(earlier_key, PHONE.encode(), hashlib.sha256).hexdigest()
    session.commit()
    current = grievance.phone_hash
    assert answer_resolution(session, PHONE, None, True, channel=Channel.SMS).outcome is Resolution.CLOSED
    session.expire_all()
    assert grievance.phone_hash != current
    assert add_information(session, PHONE, grievance.tracking_number, "thanks", channel=Channel.SMS).outcome is (
        Information.ADDED
    )


def test_by_number_only_the_sender_s_complaint_is_answered(session, file):
    """The registered phone of the person a complaint is about may add information, but it
    did not file the complaint and was not asked: "1 <number>" from it answers nothing."""
    citizen = make_citizen(session, mobile=OTHER_PHONE)
    session.commit()
    grievance = file(phone=PHONE, citizen_id=citizen.id)
    answered = answer_resolution(session, OTHER_PHONE, grievance.tracking_number, True, channel=Channel.SMS)
    assert answered.outcome is Resolution.NOTHING_TO_ANSWER
    session.expire_all()
    assert grievance.status is Status.RESOLVED


def test_by_number_the_phone_that_was_asked_answers(session, file):
    citizen = make_citizen(session, mobile=OTHER_PHONE)
    session.commit()
    grievance = file(phone=PHONE, citizen_id=citizen.id, resolve=False)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    ask(session, OTHER_PHONE, QuestionKind.COMPLAINT_RESOLVED, grievance.id, "bn", RESOLUTION_OPEN_FOR)
    session.commit()
    answered = answer_resolution(session, OTHER_PHONE, grievance.tracking_number, False, channel=Channel.SMS)
    assert answered.outcome is Resolution.APPEALED
    # The question it answered is closed with it: a later bare "2" has nothing to answer.
    assert answer_resolution(session, OTHER_PHONE, None, False, channel=Channel.SMS).outcome is (
        Resolution.NOTHING_TO_ANSWER
    )


def test_no_to_a_payment_files_a_linked_complaint_routed_as_payment_failures_are(session, no_dispatch):
    citizen = make_citizen(session, mobile=PHONE)
    payment = make_payment(session, citizen, "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow()))
    ask(session, PHONE, QuestionKind.PAYMENT_RECEIVED, payment.id, "bn", CONFIRMATION_OPEN_FOR)
    session.commit()
    answered = answer(session, PHONE, False, Channel.SMS)
    assert answered.outcome is Confirmation.DENIED
    complaint = session.scalars(select(Grievance).where(Grievance.tracking_number == answered.tracking_number)).one()
    assert (complaint.category, complaint.payment_id, complaint.citizen_id) == (
        Category.PAYMENT_NOT_RECEIVED,
        payment.id,
        citizen.id,
    )
    assert ("notify_citizen", complaint.id) in no_dispatch and ("route_grievance", complaint.id) in no_dispatch
    route_grievance(complaint.id)
    session.expire_all()
    # The rule for payment failures: the programme's ministry, and the Finance Division's G2P unit.
    assert (complaint.status, complaint.ministry_code, complaint.also_ministry_code) == (Status.ROUTED, "MOSW", "FD")
    confirmation = session.get(PaymentConfirmation, payment.id)
    assert confirmation.received is False and confirmation.answered_at is not None


def test_yes_to_a_payment_is_recorded_and_files_nothing(session):
    citizen = make_citizen(session, mobile=PHONE)
    payment = make_payment(session, citizen, "OAA", cycle="2026-10")
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow()))
    ask(session, PHONE, QuestionKind.PAYMENT_RECEIVED, payment.id, "en", CONFIRMATION_OPEN_FOR)
    session.commit()
    assert answer(session, PHONE, True, Channel.SMS).outcome is Confirmation.RECEIVED
    session.expire_all()
    assert session.get(PaymentConfirmation, payment.id).received is True
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0
