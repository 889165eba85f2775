"""Registry values as citizens read them: units in words, months by name, payment failures
with a translated reason and the programme's own office."""

import datetime as dt
from decimal import Decimal

import pytest

from registry.eligibility import RuleBook
from registry.labels import (
    FAILURE_REASONS,
    failure_reason_code,
    failure_reason_label,
    payment_advice,
    payment_problem,
    unit_label,
    wallet_sentence,
)
from registry.models import PaymentStatus
from registry.services import PaymentView


@pytest.fixture
def book(session) -> RuleBook:
    return RuleBook.load(session)


def _payment(status: PaymentStatus, reason: str | None) -> PaymentView:
    return PaymentView("2026-10", Decimal(600), status, None, dt.date(2026, 10, 12), reason)


@pytest.mark.parametrize(
    ("unit", "bn", "en"),
    [
        ("kg", "কেজি", "kg"),
        ("kg rice", "কেজি চাল", "kg rice"),
        ("kg wheat", "কেজি গম", "kg wheat"),
        ("voucher", "ভাউচার", "voucher"),
        ("kg mystery", "কেজি", "kg mystery"),  # an unknown word is never English in Bangla
    ],
)
def test_units_are_words_of_the_locale(unit, bn, en):
    assert (unit_label("bn", unit), unit_label("en", unit)) == (bn, en)
    assert unit_label("bn_Latn", unit).isascii()


def test_thirty_kilograms_in_bangla():
    sentence = wallet_sentence("bn", "খাদ্যবান্ধব", Decimal(30), "kg", dt.date(2026, 12, 31))
    assert sentence == "খাদ্যবান্ধব: ৩০ কেজি, মেয়াদ ৩১ ডিসেম্বর ২০২৬ পর্যন্ত।"
    assert wallet_sentence("en", "Food Friendly", Decimal(30), "kg rice", None) == "Food Friendly: 30 kg rice."


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("account_closed", "account_closed"),
        ("ACCOUNT CLOSED", "account_closed"),
        ("account closed by the bank", "account_closed"),
        ("wallet account inactive", "account_inactive"),
        ("NID and mobile account holder mismatch", "nid_mismatch"),
        ("account number invalid", "account_invalid"),
        ("wallet limit exceeded", "limit_exceeded"),
        ("wallet-not-found", "wallet_not_found"),
        ("name_mismatch", "name_mismatch"),
        ("ERR 4711", None),
        ("", None),
        (None, None),
    ],
)
def test_a_providers_reason_is_read_into_the_vocabulary(reason, code):
    assert failure_reason_code(reason) == code


def test_every_reason_has_its_own_translation_in_every_locale():
    for locale in ("bn", "bn_Latn", "en"):
        labels = {failure_reason_label(locale, code) for code in FAILURE_REASONS}
        assert len(labels) == len(FAILURE_REASONS)
        assert failure_reason_label(locale, "something else") not in labels
    for code in FAILURE_REASONS:
        assert not any("a" <= ch.lower() <= "z" for ch in failure_reason_label("bn", code)), code
        assert failure_reason_label("bn_Latn", code).isascii()


def test_payment_advice_gives_the_reason_in_bangla_and_the_programmes_office(app, book):
    failed = _payment(PaymentStatus.FAILED, "wallet account inactive")
    assert payment_advice("bn", failed, book.programmes["OAA"]) == (
        "কারণ: অ্যাকাউন্ট সক্রিয় নয়; যোগাযোগ করুন: উপজেলা সমাজসেবা অফিস।"
    )
    assert payment_advice("en", failed, book.programmes["EGPP"]) == (
        "It failed: the account is inactive. Contact the Upazila Project Implementation Office."
    )
    returned = _payment(PaymentStatus.RETURNED, "ERR 4711 unknown to us")
    assert payment_advice("en", returned, book.programmes["MCBP"]) == (
        "It was returned: the provider could not pay it. Update your account at the Upazila Women Affairs Office."
    )
    assert payment_advice("bn_Latn", returned, book.programmes["PESP"]).isascii()
    assert payment_advice("en", _payment(PaymentStatus.CREDITED, None), book.programmes["OAA"]) is None


OFFICES = {
    "OAA": "Upazila Social Services Office",
    "WDA": "Upazila Social Services Office",
    "PDA": "Upazila Social Services Office",
    "SSD": "Upazila Social Services Office",
    "MCBP": "Upazila Women Affairs Office",
    "EGPP": "Upazila Project Implementation Office",
    "PESP": "Upazila Primary Education Office",
    "FFH": "Upazila Nirbahi Officer's Office",
    "GPEN": "Upazila Accounts Office",
}


@pytest.mark.parametrize(("code", "office"), OFFICES.items())
def test_a_failed_payment_sends_the_citizen_to_the_programmes_office(book, code, office):
    advice = payment_advice("en", _payment(PaymentStatus.FAILED, "account_closed"), book.programmes[code])
    assert advice == f"It failed: the account is closed. Contact the {office}."


def test_without_an_office_the_advice_names_a_generic_one_in_the_locale(book):
    assert payment_advice("bn", _payment(PaymentStatus.FAILED, None), None).endswith("যোগাযোগ করুন: আপনার উপজেলা অফিস।")


def test_the_alert_and_the_advice_of_a_failed_payment_give_one_reason_and_one_office(book):
    problem = payment_problem("bn", PaymentStatus.FAILED, "wallet account inactive", book.programmes["OAA"])
    assert (problem.reason, problem.office) == ("অ্যাকাউন্ট সক্রিয় নয়", "উপজেলা সমাজসেবা অফিস")
    assert problem.advice() == "কারণ: অ্যাকাউন্ট সক্রিয় নয়; যোগাযোগ করুন: উপজেলা সমাজসেবা অফিস।"
    assert problem.alert("বয়স্ক ভাতা", Decimal(600), "2026-10") == (
        "বয়স্ক ভাতা: অক্টোবর ২০২৬-এর ৬০০ টাকা যায়নি (অ্যাকাউন্ট সক্রিয় নয়)। যোগাযোগ: উপজেলা সমাজসেবা অফিস।"
    )
    returned = payment_problem("en", PaymentStatus.RETURNED, None, book.programmes["MCBP"])
    assert returned.alert("MCBP", Decimal(800), "2026-10") == (
        "MCBP: Tk 800 for October 2026 was returned (the provider could not pay it). "
        "Contact the Upazila Women Affairs Office."
    )


@pytest.mark.parametrize("status", [PaymentStatus.SCHEDULED, PaymentStatus.SENT, PaymentStatus.CREDITED])
def test_a_payment_that_did_not_fail_has_no_problem(book, status):
    assert payment_problem("en", status, "account_closed", book.programmes["OAA"]) is None
