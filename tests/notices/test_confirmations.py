"""Payment confirmations: a reproducible share of credited payments is asked "did you receive
it?", in one SMS that stands in for the credited alert, never twice, never after STOP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.privacy import phone_hash
from grievance.models import CitizenQuestion, QuestionKind
from notices import confirmations
from notices.confirmations import chosen, question_text, record_payment_confirmations, sample_key
from notices.models import Alert
from outbound_sms.encoding import strictest
from outbound_sms.models import Message, OptOut
from registry.eligibility.engine import rulebook
from registry.eligibility.explain import programme_name
from registry.imports import run_import
from registry.models import Language, Payment, PaymentConfirmation
from tests.factories import make_citizen, make_enrolment, payment_row
from tests.helpers import drain

TODAY = dt.date(2026, 8, 1)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def share(app, monkeypatch):
    """share(x): SAHAYATA_CONFIRM_SHARE for this test (the suite runs with 0)."""
    return lambda value: monkeypatch.setitem(app.config, "SAHAYATA_CONFIRM_SHARE", value)


@pytest.fixture
def people(session):
    def make(n: int, **fields):
        made = [make_citizen(session, age=70, rescore=False, **fields) for _ in range(n)]
        for person in made:
            make_enrolment(session, person, "OAA")
        session.commit()
        return made

    return make


def test_the_share_is_reproducible_and_close_to_the_setting(app_context, app):
    key = sample_key(app.config)
    payments = [(citizen, "OAA", f"2026-{month:02d}") for citizen in range(1, 2_001) for month in range(1, 11)]
    picked = [p for p in payments if chosen(key, *p, 0.1)]
    assert 0.09 <= len(picked) / len(payments) <= 0.11  # 20,000 payments: the standard error is 0.002
    assert picked == [p for p in payments if chosen(key, *p, 0.1)]  # the same payments, every time
    # Another key (another deployment) picks others: nobody without the key can tell which.
    other = [p for p in payments if chosen(b"another key", *p, 0.1)]
    assert len(set(picked) & set(other)) < len(picked) / 2
    assert not any(chosen(key, *p, 0.0) for p in payments) and all(chosen(key, *p, 1.0) for p in payments)


def test_an_import_asks_the_chosen_in_one_sms_instead_of_the_credited_alert(app, session, write_csv, people, share):
    share(1.0)
    folks = people(3, language=Language.BANGLA)
    run_import(session, "payments", write_csv("payments", [payment_row(p) for p in folks]), today=TODAY)
    drain(app)
    assert count(session, PaymentConfirmation) == 3
    messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [m.template for m in messages] == ["payment_confirmation"] * 3  # no "credited" alert besides
    assert messages[0].text == (
        "বয়স্ক ভাতা: জুলাই ২০২৬-এর ৬০০ টাকা আপনার নামে জমা দেখানো হয়েছে। পেয়েছেন কি? হ্যাঁ হলে ১, না হলে ২ পাঠান।"
    )
    assert session.scalar(select(func.count()).where(Alert.done_at.is_(None))) == 0
    asked = session.scalars(select(CitizenQuestion).order_by(CitizenQuestion.id)).all()
    assert [(q.kind, q.phone_hash, q.locale) for q in asked] == [
        (QuestionKind.PAYMENT_RECEIVED, phone_hash(p.mobile), "bn") for p in folks
    ]
    assert all(q.open_until - q.asked_at == dt.timedelta(days=7) for q in asked)


def test_with_a_share_of_none_everyone_gets_the_credited_alert(app, session, write_csv, people, share):
    share(0.0)
    folks = people(2)
    run_import(session, "payments", write_csv("payments", [payment_row(p) for p in folks]), today=TODAY)
    drain(app)
    assert count(session, PaymentConfirmation) == 0
    assert [m.template for m in session.scalars(select(Message))] == ["payment_credited"] * 2


def test_a_payment_imported_again_is_not_asked_twice(app, session, write_csv, people, share):
    share(1.0)
    folks = people(2)
    path = write_csv("payments", [payment_row(p) for p in folks])
    run_import(session, "payments", path, today=TODAY)
    run_import(session, "payments", path, today=TODAY)
    drain(app)
    # Even told again that they changed (another file carrying the same payments):
    keys = [(p.id, "OAA", "2026-07") for p in folks]
    assert record_payment_confirmations(session, keys, TODAY) == []
    session.commit()
    confirmations.deliver_confirmations([p.id for p in session.scalars(select(Payment))])
    assert count(session, PaymentConfirmation) == 2 and count(session, Message) == 2
    assert count(session, CitizenQuestion) == 2


def test_a_phone_that_said_stop_is_not_asked(app, session, write_csv, people, share):
    share(1.0)
    stopped, asked = people(2)
    session.add(OptOut(phone_hash=phone_hash(stopped.mobile), created_at=dt.datetime.now(dt.UTC)))
    session.commit()
    run_import(session, "payments", write_csv("payments", [payment_row(stopped), payment_row(asked)]), today=TODAY)
    drain(app)
    confirmed = session.scalars(select(PaymentConfirmation.payment_id)).all()
    assert confirmed == [session.scalar(select(Payment.id).where(Payment.citizen_id == asked.id))]
    assert [m.phone for m in session.scalars(select(Message))] == [asked.mobile]


def test_a_question_whose_job_was_lost_is_sent_by_the_sweeper(app, session, write_csv, people, share, monkeypatch):
    share(1.0)
    [person] = people(1)
    monkeypatch.setattr(confirmations, "enqueue", lambda *args, **kwargs: None)  # Redis down after the commit
    run_import(session, "payments", write_csv("payments", [payment_row(person)]), today=TODAY)
    assert count(session, Message) == 0 and count(session, PaymentConfirmation) == 1
    monkeypatch.undo()
    share(1.0)
    session.execute(PaymentConfirmation.__table__.update().values(asked_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC)))
    session.commit()
    assert confirmations.sweep_confirmations() == 1
    drain(app)
    assert [m.template for m in session.scalars(select(Message))] == ["payment_confirmation"]
    assert confirmations.sweep_confirmations() == 0


@pytest.mark.parametrize("locale", ["bn", "bn_Latn", "en"])
def test_the_question_fits_two_parts_for_every_programme(app_context, session, locale):
    for code in rulebook(session).programmes:
        name = programme_name(code, locale, rulebook(session), short=True)
        text = question_text(locale, name, Decimal("9999999"), "2026-09")
        assert strictest(text).segments <= 2, (code, text)
