"""The PAYMENT reply names the next payment as the programme's schedule expects it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from outbound_sms.encoding import segments
from registry.models import Language, PaymentStatus
from sms.replies import answer
from tests.factories import make_citizen, make_enrolment, make_payment

PHONE = "+8801712000077"
# An instalment paid "in October 2030" keeps the expected month the same whatever today is
# (until 2031): the one after it, January 2031.
LAST = "2030-10"


@pytest.fixture
def old_age_payee(session):
    def make(language: Language, programmes=("OAA",)):
        citizen = make_citizen(session, age=70, mobile=PHONE, language=language)
        for code in programmes:
            make_enrolment(session, citizen, code)
            make_payment(session, citizen, code, cycle=LAST, amount_bdt=Decimal(1800), paid_on=dt.date(2030, 10, 12))
        session.commit()
        return citizen

    return make


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.ENGLISH, "Next: expected in January 2031 (quarterly)."),
        (Language.BANGLA, "পরবর্তী: সম্ভবত জানুয়ারি ২০৩১ (ত্রৈমাসিক)।"),
    ],
)
def test_a_quarterly_allowance_is_next_expected_in_its_quarter_month(session, old_age_payee, language, expected):
    old_age_payee(language)
    reply = answer(session, PHONE, "PAYMENT").text
    assert expected in reply, reply
    assert "November 2030" not in reply and "নভেম্বর ২০৩০" not in reply


def test_a_scheduled_payment_still_wins_over_the_schedule(session, old_age_payee):
    citizen = old_age_payee(Language.ENGLISH)
    make_payment(
        session,
        citizen,
        "OAA",
        cycle="2030-12",
        amount_bdt=Decimal(1800),
        status=PaymentStatus.SCHEDULED,
        paid_on=None,
        txn_id=None,
    )
    session.commit()
    reply = answer(session, PHONE, "PAYMENT").text
    assert "Next: Tk 1,800 in December 2030." in reply and "expected" not in reply


@pytest.mark.parametrize("language", [Language.ENGLISH, Language.BANGLA])
def test_the_reply_with_expected_payments_keeps_to_two_parts(session, old_age_payee, language):
    old_age_payee(language, programmes=("OAA", "WDA", "PDA", "FFH", "MCBP"))
    reply = answer(session, PHONE, "PAYMENT").text
    assert segments(reply).segments <= 2, (segments(reply), reply)


def test_the_expected_month_never_crowds_a_programmes_last_payment_out(session, old_age_payee):
    """Two programmes in Bangla: the first one's last payment stays, with the pointer to USSD."""
    old_age_payee(Language.BANGLA, programmes=("OAA", "WDA"))
    reply = answer(session, PHONE, "PAYMENT").text
    assert reply.startswith("বয়স্ক ভাতা: সর্বশেষ ১,৮০০ টাকা, জমা হয়েছে, ১২ অক্টো ২০৩০"), reply
    assert segments(reply).segments <= 2
