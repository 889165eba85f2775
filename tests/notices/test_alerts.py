"""Payment and e-token alerts: fired by imports, queued in batches, one message each, ever."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.privacy import phone_hash
from notices import alerts
from notices.models import Alert
from notices.templates import etoken_credited, payment_credited, payment_failed, payment_returned
from outbound_sms.encoding import segments
from outbound_sms.models import Message, OptOut
from registry.imports import run_import
from registry.imports.runner import analyse
from registry.models import Language, PaymentChannel
from tests.factories import make_citizen, make_enrolment, make_wallet, payment_row
from tests.helpers import drain

TODAY = dt.date(2026, 8, 1)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def beneficiaries(session):
    def make(n: int, **fields):
        people = []
        for number in range(n):
            people.append(make_citizen(session, age=70, **fields))
            if number in (50, 200, 800):
                # Each person is rescored in this one transaction; with statistics that say the
                # tables are empty the planner joins every household to every citizen each time.
                # An import refreshes them as it writes, for the same reason.
                analyse(session, ("households", "citizens"))
        for person in people:
            make_enrolment(session, person, "OAA")
        session.commit()
        return people

    return make


@pytest.fixture
def queued(monkeypatch):
    """The deliver_alerts jobs an import enqueues, held back so the test can look first."""
    jobs: list[list[int]] = []
    monkeypatch.setattr(alerts, "enqueue", lambda job, ids, queue_name: jobs.append(ids))
    return jobs


@pytest.fixture
def on_today(monkeypatch):
    """The alerts are delivered on TODAY (the month the next payment is expected from)."""
    monkeypatch.setattr(alerts, "utcnow", lambda: dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC))


def test_a_payments_import_queues_alerts_in_batches_not_calls(app, session, write_csv, beneficiaries, queued, on_today):
    people = beneficiaries(1_200)
    report = run_import(session, "payments", write_csv("payments", [payment_row(p) for p in people]), today=TODAY)
    assert report.committed
    assert count(session, Alert) == 1_200 and count(session, Message) == 0  # recorded, nothing sent yet
    assert [len(ids) for ids in queued] == [500, 500, 200]
    for ids in queued:
        alerts.deliver_alerts(ids)
    drain(app)
    assert count(session, Message) == 1_200
    assert session.scalar(select(func.count()).where(Alert.done_at.is_(None))) == 0
    texts = {m.phone: m.text for m in session.scalars(select(Message))}
    assert texts[people[0].mobile] == (
        "বয়স্ক ভাতা: জুলাই ২০২৬-এর ৬০০ টাকা আপনার বিকাশ অ্যাকাউন্টে জমা হয়েছে। পরবর্তী: সম্ভবত অক্টোবর ২০২৬-এ ১,৮০০ টাকা (ত্রৈমাসিক)।"
    )


@pytest.mark.parametrize(
    ("code", "language", "expected"),
    [
        ("OAA", "en", "Next: Tk 1,800 expected in October 2026 (quarterly)."),
        ("FFH", "en", "Next: Tk 20,000 expected in August 2026 (monthly)."),
        ("OAA", "bn", "পরবর্তী: সম্ভবত অক্টোবর ২০২৬-এ ১,৮০০ টাকা (ত্রৈমাসিক)।"),
    ],
)
def test_a_credited_alert_names_the_next_payment_the_programme_pays(
    app, session, write_csv, beneficiaries, on_today, code, language, expected
):
    [person] = beneficiaries(1, language=Language(language))
    if code != "OAA":  # beneficiaries() enrols everyone in the Old Age Allowance
        make_enrolment(session, person, code)
        session.commit()
    run_import(session, "payments", write_csv("payments", [payment_row(person, programme=code)]), today=TODAY)
    drain(app)
    text = session.scalar(select(Message.text))
    assert text.endswith(expected), text
    assert segments(text).segments <= 2


def test_the_next_payment_is_left_out_of_an_alert_it_would_push_past_two_parts(app_context):
    from registry.schedules import ExpectedPayment, PaymentFrequency

    longest = "মাতৃস্বাস্থ্য ভাউচার"
    expected = ExpectedPayment("2026-09", Decimal("29999999.97"), PaymentFrequency.QUARTERLY)
    bare = payment_credited("bn", longest, Decimal("9999999.99"), "2026-12", PaymentChannel.AGENT_BANKING)
    text = payment_credited("bn", longest, Decimal("9999999.99"), "2026-12", PaymentChannel.AGENT_BANKING, expected)
    assert text == bare and segments(text).segments <= 2


def test_reimporting_the_same_file_alerts_nobody_twice(app, session, write_csv, beneficiaries):
    people = beneficiaries(3)
    path = write_csv("payments", [payment_row(p) for p in people])
    run_import(session, "payments", path, today=TODAY)
    run_import(session, "payments", path, today=TODAY)
    drain(app)
    assert count(session, Alert) == 3 and count(session, Message) == 3


def test_a_failed_payment_says_what_to_do_in_english_too(app, session, write_csv, beneficiaries):
    from registry.labels import failure_reason_label

    [person] = beneficiaries(1, language=Language("en"))
    row = payment_row(person, status="failed", paid_on="", txn_id="", failure_reason="wallet closed")
    run_import(session, "payments", write_csv("payments", [row]), today=TODAY)
    drain(app)
    message = session.scalar(select(Message))
    assert message.template == "payment_failed" and message.locale == "en"
    assert "did not arrive" in message.text and "Upazila Social Services Office" in message.text
    assert failure_reason_label("en", "wallet closed") in message.text  # a reason a citizen reads
    # Later the payment goes through: that is news again.
    run_import(session, "payments", write_csv("payments", [payment_row(person)]), today=TODAY)
    drain(app)
    assert [m.template for m in session.scalars(select(Message).order_by(Message.id))] == [
        "payment_failed",
        "payment_credited",
    ]


def test_scheduled_payments_and_old_history_send_nothing(app, session, write_csv, beneficiaries):
    first, second = beneficiaries(2)
    rows = [
        payment_row(first, status="scheduled", paid_on="", txn_id=""),
        payment_row(second, cycle="2025-01", paid_on="2025-01-10"),  # history loaded later
    ]
    run_import(session, "payments", write_csv("payments", rows), today=TODAY)
    drain(app)
    assert count(session, Alert) == 0 and count(session, Message) == 0


def test_opted_out_and_phoneless_citizens_get_no_message(app, session, write_csv, beneficiaries):
    [stopped] = beneficiaries(1)
    [phoneless] = beneficiaries(1, mobile=None)
    session.add(OptOut(phone_hash=phone_hash(stopped.mobile)))
    session.commit()
    run_import(session, "payments", write_csv("payments", [payment_row(stopped), payment_row(phoneless)]), today=TODAY)
    drain(app)
    assert count(session, Message) == 0
    assert session.scalar(select(func.count()).where(Alert.done_at.is_not(None))) == 2


def test_delivering_the_same_alerts_twice_makes_one_message_each(app, session, write_csv, beneficiaries, queued):
    people = beneficiaries(2)
    run_import(session, "payments", write_csv("payments", [payment_row(p) for p in people]), today=TODAY)
    [ids] = queued
    assert alerts.deliver_alerts(ids) == 2
    assert alerts.deliver_alerts(ids) == 0
    assert count(session, Message) == 2


def test_an_etokens_import_alerts_credits_not_debits(app, session, write_csv):
    citizen = make_citizen(session, mobile="+8801712000001")
    make_enrolment(session, citizen, "FFP")
    make_wallet(session, citizen, "FFP", expires_on=dt.date(2026, 12, 31))
    session.commit()
    row = {"nid": citizen.nid, "programme": "FFP", "balance": "30", "unit": "kg rice", "expires_on": "2026-12-31"}
    run_import(session, "etokens", write_csv("etokens", [row]), today=TODAY)
    run_import(session, "etokens", write_csv("etokens", [{**row, "balance": "10"}]), today=TODAY)  # 20 kg drawn
    drain(app)
    [message] = session.scalars(select(Message)).all()
    assert message.template == "etoken_credited"
    assert message.text.startswith("খাদ্যবান্ধব: ৩০ কেজি চাল ই-টোকেন জমা হয়েছে।")


def test_the_sweeper_queues_alerts_whose_job_never_ran(app, session, write_csv, beneficiaries, queued):
    people = beneficiaries(2)
    run_import(session, "payments", write_csv("payments", [payment_row(p) for p in people]), today=TODAY)
    queued.clear()  # Redis was down: the import's jobs were lost
    assert alerts.sweep_alerts(older_than_seconds=-60) == 2
    assert len(queued) == 1 and sorted(queued[0]) == sorted(session.scalars(select(Alert.id)))


def _longest_reason_and_office(locale: str) -> tuple[str, str]:
    """The longest failure reason and the longest programme office any alert can carry."""
    from foundation.db import db_session
    from registry.eligibility.engine import rulebook
    from registry.labels import FAILURE_REASONS, failure_reason_label, office_name

    reasons = [failure_reason_label(locale, reason) for reason in [*FAILURE_REASONS, "something new"]]
    offices = [office_name(locale, programme) for programme in rulebook(db_session()).programmes.values()]
    return max(reasons, key=len), max(offices, key=len)


@pytest.mark.parametrize("locale", ["bn", "en"])
def test_every_alert_fits_two_segments_with_worst_case_values(app, app_context, session, locale):
    from registry.eligibility.engine import rulebook

    longest = max((names.get(locale) or names["en"] for names in rulebook(session).short_names.values()), key=len)
    amount = Decimal("9999999.99")
    longest_channel = PaymentChannel.AGENT_BANKING
    texts = [
        payment_credited(locale, longest, amount, "2026-12", longest_channel),
        payment_failed(locale, longest, amount, "2026-12", *_longest_reason_and_office(locale)),
        payment_returned(locale, longest, amount, "2026-12", *_longest_reason_and_office(locale)),
        etoken_credited(locale, longest, amount, "kg rice", amount, dt.date(2026, 12, 31)),
    ]
    for text in texts:
        assert segments(text).segments <= 2, (segments(text), text)


def test_a_failed_payment_alert_gives_the_reason_and_the_programmes_office_in_bangla(
    app, session, write_csv, beneficiaries
):
    from outbound_sms.encoding import segments
    from registry.labels import failure_reason_label

    [person] = beneficiaries(1, language=Language("bn"))
    row = payment_row(person, status="failed", paid_on="", txn_id="", failure_reason="wallet account inactive")
    run_import(session, "payments", write_csv("payments", [row]), today=TODAY)
    drain(app)
    message = session.scalar(select(Message))
    assert failure_reason_label("bn", "wallet account inactive") in message.text
    assert "উপজেলা সমাজসেবা অফিস" in message.text and "inactive" not in message.text
    assert segments(message.text).segments <= 2
