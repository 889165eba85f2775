"""The expected next payment as a citizen reads it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.schedule_labels import expected_payment_sentence
from registry.schedules import ExpectedPayment, PaymentFrequency


@pytest.mark.parametrize(
    ("locale", "expected", "text"),
    [
        (
            "en",
            ExpectedPayment("2027-06", Decimal(1200), PaymentFrequency.YEARLY),
            "Next: Tk 1,200 expected in June 2027 (once a year).",
        ),
        (
            "bn",
            ExpectedPayment("2027-06", Decimal(1200), PaymentFrequency.YEARLY),
            "পরবর্তী: সম্ভবত জুন ২০২৭-এ ১,২০০ টাকা (বছরে একবার)।",
        ),
        (
            "bn",
            ExpectedPayment("2026-12", Decimal(20000), PaymentFrequency.MONTHLY),
            "পরবর্তী: সম্ভবত ডিসেম্বর ২০২৬-এ ২০,০০০ টাকা (মাসিক)।",
        ),
        (
            "en",
            ExpectedPayment("2027-01", None, PaymentFrequency.QUARTERLY),
            "Next: expected in January 2027 (quarterly).",
        ),
    ],
)
def test_the_sentence_names_the_month_the_amount_and_why_that_month(app_context, locale, expected, text):
    assert expected_payment_sentence(locale, expected) == text


def test_the_short_form_leaves_the_amount_out(app_context):
    expected = ExpectedPayment("2027-01", Decimal(1800), PaymentFrequency.QUARTERLY)
    assert expected_payment_sentence("bn", expected, with_amount=False) == "পরবর্তী: সম্ভবত জানুয়ারি ২০২৭ (ত্রৈমাসিক)।"
