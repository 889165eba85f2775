import datetime as dt
import random
from decimal import Decimal

import phonenumbers
import pytest

from registry.validation import (
    InvalidValue,
    normalise_mobile,
    parse_cycle,
    parse_date,
    parse_decimal,
    parse_int,
    parse_nid,
)


@pytest.mark.parametrize("raw", ["1234567890", "1234567890123", "19581234567890123", " 1234-567-890 ", "১২৩৪৫৬৭৮৯০"])
def test_nid_of_10_13_or_17_digits_is_accepted(raw):
    nid = parse_nid(raw)
    assert nid.isdigit() and len(nid) in (10, 13, 17)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("12345678901", "10, 13 or 17 digits, not 11"),
        ("123456789", "not 9"),
        ("12345X7890", "digits only"),
    ],
)
def test_bad_nid_is_rejected_with_reason(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        parse_nid(raw)


def test_17_digit_nid_must_start_with_birth_year():
    assert parse_nid("19581234567890123", dt.date(1958, 3, 1)) == "19581234567890123"
    with pytest.raises(InvalidValue, match="birth year"):
        parse_nid("19591234567890123", dt.date(1958, 3, 1))


@pytest.mark.parametrize(
    "raw",
    [
        "01712345678",
        "+8801712345678",
        "8801712345678",
        "017-1234-5678",
        "+880 1712 345678",
        "০১৭১২৩৪৫৬৭৮",
        "(017) 12345678",
    ],
)
def test_mobile_is_normalised_to_e164(raw):
    assert normalise_mobile(raw) == "+8801712345678"


@pytest.mark.parametrize("raw", ["01212345678", "0171234567", "+447911123456", "029876543", "hello", ""])
def test_non_bangladeshi_mobile_is_rejected(raw):
    with pytest.raises(InvalidValue):
        normalise_mobile(raw)


def test_fast_path_agrees_with_phonenumbers():
    """The regex shortcut must give exactly what the phonenumbers library gives."""
    rng = random.Random(7)
    for _ in range(2000):
        local = f"01{rng.choice('3456789')}{rng.randrange(10**8):08d}"
        for written in (local, "+88" + local, "88" + local):
            expected = phonenumbers.format_number(
                phonenumbers.parse(written, "BD"), phonenumbers.PhoneNumberFormat.E164
            )
            assert normalise_mobile(written) == expected


def test_dates_must_be_iso_and_not_in_the_future():
    assert parse_date("1958-03-01") == dt.date(1958, 3, 1)
    assert parse_date("১৯৫৮-০৩-০১") == dt.date(1958, 3, 1)
    with pytest.raises(InvalidValue, match="ISO date"):
        parse_date("01/03/1958")
    with pytest.raises(InvalidValue, match="ISO date"):
        parse_date("1958-02-30")
    with pytest.raises(InvalidValue, match="future"):
        parse_date("2030-01-01", not_after=dt.date(2026, 11, 1))


def test_decimal_limits_and_grouping():
    assert parse_decimal("1,500", field="amount") == Decimal(1500)
    with pytest.raises(InvalidValue, match="at least 0"):
        parse_decimal("-1", field="amount")
    with pytest.raises(InvalidValue, match="number"):
        parse_decimal("NaN", field="amount")


def test_cycle_is_year_and_month():
    assert parse_cycle("2026-07") == "2026-07"
    for bad in ("2026-13", "2026-7", "July"):
        with pytest.raises(InvalidValue):
            parse_cycle(bad)


@pytest.mark.parametrize("raw", ["017١١000001", "01711000001³", "０１７１１０００００１", "+880١711000001"])
def test_other_digit_scripts_are_not_a_phone_number(raw):
    with pytest.raises(InvalidValue, match="0-9"):
        normalise_mobile(raw)


@pytest.mark.parametrize("raw", ["123456789١", "１２３４５６７８９０", "12345678²0"])
def test_other_digit_scripts_are_not_an_nid(raw):
    with pytest.raises(InvalidValue, match="digits only"):
        parse_nid(raw)


def test_other_digit_scripts_are_refused_in_dates_amounts_counts_and_cycles():
    with pytest.raises(InvalidValue, match="0-9"):
        parse_date("２０２６-01-01", field="paid_on")
    with pytest.raises(InvalidValue, match="0-9"):
        parse_decimal("١٢٠٠", field="amount")
    with pytest.raises(InvalidValue, match="whole number"):
        parse_int("١٢", field="members")
    with pytest.raises(InvalidValue, match="cycle"):
        parse_cycle("٢٠٢٦-07")


def test_a_huge_whole_number_is_out_of_range_not_a_crash():
    with pytest.raises(InvalidValue, match="between"):
        parse_int("9" * 5000, field="members", maximum=50)


def test_bengali_digits_still_mean_digits():
    assert normalise_mobile("০১৭১১০০০০০১") == "+8801711000001"
    assert parse_int("১২", field="members") == 12


def test_decimals_past_the_scale_or_in_exponent_form_are_refused_not_rounded():
    assert parse_decimal("600.50", field="amount") == Decimal("600.50")
    assert parse_decimal("600.000", field="amount") == Decimal(600)  # trailing zeros lose nothing
    assert parse_decimal(".5", field="amount") == Decimal("0.5")
    for raw in ("0.004", "600.001", "0.0000001"):
        with pytest.raises(InvalidValue, match="more than 2 decimal places"):
            parse_decimal(raw, field="amount")
    for raw in ("1e-7", "1E+5", "1e-999999", "1_000", "Infinity", "0x10", "1.2.3"):
        with pytest.raises(InvalidValue, match="plain number"):
            parse_decimal(raw, field="amount")
    assert parse_decimal("2.125", field="balance", places=3) == Decimal("2.125")
