from decimal import Decimal

import pytest

from grievance.models import Status
from notices.templates import complaint_update, payment_credited, payment_failed, payment_returned, payment_sent
from outbound_sms.encoding import segments
from outbound_sms.models import MessageStatus as S
from outbound_sms.status import may_advance
from registry.models import PaymentChannel


def test_status_only_moves_forward():
    assert may_advance(S.CREATED, S.SENDING) and may_advance(S.SENDING, S.SENT) and may_advance(S.SENT, S.DELIVERED)
    assert may_advance(S.SENT, S.UNDELIVERED) and may_advance(S.SENDING, S.FAILED)
    assert not may_advance(S.DELIVERED, S.SENT)  # a late "sent" receipt after delivery
    assert not may_advance(S.SENT, S.SENT)  # a duplicate receipt
    assert not may_advance(S.FAILED, S.DELIVERED)  # final is final


@pytest.mark.parametrize("locale", ["bn", "en", "bn_Latn"])
@pytest.mark.parametrize("status", [s.value for s in Status])
def test_every_complaint_update_fits_two_segments(locale, status):
    text = complaint_update(locale, "987654321", status)
    assert segments(text).segments <= 2, (locale, status, text)
    assert "987654321" in text or "৯৮৭৬৫৪৩২১" in text


def test_bangla_update_is_in_bangla_with_bengali_digits():
    assert complaint_update("bn", "123456789", "routed") == "অভিযোগ ১২৩৪৫৬৭৮৯ দায়িত্বপ্রাপ্ত অফিসে পাঠানো হয়েছে।"


REPLIES = [
    "Send: BALANCE, PAYMENT, STATUS number, COMPLAIN and a few words, NID number DDMMYYYY, STOP, START, LANG bn or en.",
    "Send NID, the NID number and the date of birth as DDMMYYYY, e.g. NID 1234567890 05031960.",
    "You have used today's 5 look-ups. Please try again tomorrow.",
    "No registered person with this NID and date of birth. To enrol, visit the Upazila Social Services Office with "
    "the NID card.",
    "This number is not in the registry. To enrol, visit your Upazila Social Services Office.",
    "You will get no more alerts. Send START to get them again.",
    "Complaint received. Number %(number)s. Keep it to check the status.",
    "You filed this complaint today already. Its number is %(number)s.",
    "Complaint %(number)s is reopened and goes to the appeal officer.",
    "Thank you. Complaint %(number)s is closed.",
]


@pytest.mark.parametrize("locale", ["bn", "en"])
@pytest.mark.parametrize("message", REPLIES)
def test_fixed_replies_fit_two_segments(locale, message):
    from foundation.i18n import translate

    text = translate(locale, message, number="৯৮৭৬৫৪৩২১") if "%(number)s" in message else translate(locale, message)
    assert segments(text).segments <= 2, text


# What registry.labels says of an inactive account, and the Old Age Allowance's office.
ADVICE = ("অ্যাকাউন্ট সক্রিয় নয়", "উপজেলা সমাজসেবা অফিস")


def test_an_account_is_called_as_on_ussd():
    oaa, tk, cycle = "বয়স্ক ভাতা", Decimal(600), "2026-10"
    texts = [
        payment_credited("bn", oaa, tk, cycle, None),
        payment_credited("bn", oaa, tk, cycle, PaymentChannel.NAGAD),
        payment_failed("bn", oaa, tk, cycle, *ADVICE),
        payment_returned("bn", oaa, tk, cycle, *ADVICE),
        payment_sent("bn", oaa, tk, cycle, PaymentChannel.NAGAD),
    ]
    for text in texts:
        assert "অ্যাকাউন্ট" in text and "হিসাব" not in text, text
