"""Payment schedules: the next month a programme pays in, and one instalment's amount."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.models import Programme
from registry.reference_data import SEED_DIR
from registry.schedules import (
    PaymentFrequency,
    PaymentSchedule,
    ScheduleError,
    expected_payment,
    instalment_amount,
    next_payment_cycle,
    parse_schedule,
    payment_cycles,
)

QUARTERLY = parse_schedule("quarterly", "Jan Apr Jul Oct")
MONTHLY = parse_schedule("monthly", "")
LEAN_SEASONS = parse_schedule("monthly", "Feb Mar Aug Sep Oct Nov")


def test_the_seed_writes_months_by_name_and_the_database_by_number():
    assert PaymentSchedule(PaymentFrequency.QUARTERLY, (1, 4, 7, 10)) == QUARTERLY
    assert parse_schedule("quarterly", QUARTERLY.to_text()) == QUARTERLY
    assert QUARTERLY.to_text() == "1,4,7,10"


@pytest.mark.parametrize(
    ("frequency", "months"),
    [
        ("quarterly", "Jan Apr Jul"),  # three instalments a year is no quarter
        ("quarterly", "Jan Feb Jul Oct"),
        ("yearly", ""),
        ("yearly", "Jan Jul"),
        ("one_off", "Jan"),
        ("fortnightly", ""),
        ("monthly", "Janvier"),
        ("monthly", "13"),
    ],
)
def test_a_schedule_that_cannot_be_is_refused(frequency, months):
    with pytest.raises(ScheduleError):
        parse_schedule(frequency, months)


@pytest.mark.parametrize(
    ("today", "last", "expected"),
    [
        ("2026-11", "2026-10", "2027-01"),  # after October's instalment, January's: not December
        ("2026-12", None, "2027-01"),
        ("2027-01", "2026-10", "2027-01"),  # January's not paid yet: it is still the next one
        ("2027-01", "2027-01", "2027-04"),
        ("2026-11", "2027-04", "2027-07"),  # an instalment paid early moves the next one on
        ("2026-10", "2026-07", "2026-10"),
    ],
)
def test_a_quarterly_programme_pays_next_in_its_own_months(today, last, expected):
    assert next_payment_cycle(QUARTERLY, today, last) == expected


def test_a_monthly_programme_pays_next_month_and_a_seasonal_one_in_its_season():
    assert next_payment_cycle(MONTHLY, "2026-11", "2026-11") == "2026-12"
    assert next_payment_cycle(MONTHLY, "2026-12", "2026-11") == "2026-12"
    assert next_payment_cycle(LEAN_SEASONS, "2026-11", "2026-11") == "2027-02"


def test_a_yearly_programme_pays_once_a_year():
    yearly = parse_schedule("yearly", "Jun")
    assert next_payment_cycle(yearly, "2026-07", "2026-06") == "2027-06"


@pytest.mark.parametrize("frequency", ["one_off", "irregular"])
def test_no_month_is_promised_without_a_calendar(frequency):
    assert next_payment_cycle(parse_schedule(frequency, ""), "2026-11", None) is None
    assert (
        expected_payment(parse_schedule(frequency, ""), Decimal(600), "BDT/month", dt.date(2026, 11, 5), None) is None
    )


def test_one_instalment_pays_the_months_it_covers():
    assert instalment_amount(QUARTERLY, Decimal(600), "BDT/month") == Decimal(1800)
    assert instalment_amount(MONTHLY, Decimal(20000), "BDT/month") == Decimal(20000)
    assert instalment_amount(parse_schedule("yearly", "Jun"), Decimal(100), "BDT/month") == Decimal(1200)
    assert instalment_amount(parse_schedule("one_off", ""), Decimal(2000), "BDT") == Decimal(2000)


def test_no_amount_is_made_up_without_a_monthly_rate():
    assert instalment_amount(QUARTERLY, None, "BDT/month per child") is None
    assert instalment_amount(MONTHLY, Decimal(30), "kg rice/month") is None
    assert instalment_amount(parse_schedule("irregular", ""), Decimal(200), "BDT/day of work") is None


def test_the_expected_payment_is_the_schedules_month_with_an_instalments_amount():
    expected = expected_payment(QUARTERLY, Decimal(600), "BDT/month", dt.date(2026, 11, 20), "2026-10")
    assert (expected.cycle, expected.amount_bdt, expected.frequency) == ("2027-01", Decimal(1800), "quarterly")


def test_a_history_of_payments_follows_the_schedule():
    assert payment_cycles(QUARTERLY, "2026-11", 4) == ["2026-01", "2026-04", "2026-07", "2026-10"]
    assert payment_cycles(MONTHLY, "2026-11", 2) == ["2026-10", "2026-11"]
    assert payment_cycles(parse_schedule("irregular", ""), "2026-11", 4) == []


def _seed() -> dict[str, dict[str, str]]:
    with open(SEED_DIR / "programmes.csv", encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def test_the_allowances_the_seed_calls_quarterly_have_a_quarterly_schedule():
    seed = _seed()
    for code, row in seed.items():
        schedule = parse_schedule(row["payment_frequency"], row["payment_months"])  # each row is a schedule
        if "quarterly" in row["frequency"]:
            assert schedule.frequency is PaymentFrequency.QUARTERLY, code
    assert {code for code, row in seed.items() if row["payment_frequency"] == "quarterly"} >= {"OAA", "WDA", "PDA"}


def test_the_database_carries_each_programmes_schedule(session):
    stored = {p.code: p.payment_schedule for p in session.scalars(select(Programme))}
    assert stored["OAA"] == QUARTERLY
    assert stored["FFH"] == MONTHLY
    assert stored["FFP"] == LEAN_SEASONS
    assert stored["MHV"].frequency is PaymentFrequency.ONE_OFF
    assert stored == {code: parse_schedule(r["payment_frequency"], r["payment_months"]) for code, r in _seed().items()}
