"""payments_for: the last payment, and the next one as scheduled or as the schedule expects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from registry.models import EnrolmentStatus, PaymentStatus
from registry.schedules import PaymentFrequency
from registry.services import payments_for
from tests.factories import make_citizen, make_enrolment, make_payment
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)

NOVEMBER = dt.date(2026, 11, 20)


def _only(session, citizen, today=NOVEMBER):
    [summary] = payments_for(session, citizen.id, today)
    return summary


def test_a_quarterly_allowance_is_expected_in_its_next_quarter_month_with_three_months_amount(session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "OAA")
    make_payment(session, citizen, "OAA", cycle="2026-10", amount_bdt=Decimal(1800))
    summary = _only(session, citizen)
    assert summary.next is None
    assert summary.expected is not None
    assert (summary.expected.cycle, summary.expected.amount_bdt) == ("2027-01", Decimal(1800))
    assert summary.expected.frequency is PaymentFrequency.QUARTERLY


def test_a_scheduled_payment_row_wins_over_the_schedule(session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "OAA")
    make_payment(session, citizen, "OAA", cycle="2026-10")
    make_payment(session, citizen, "OAA", cycle="2026-12", status=PaymentStatus.SCHEDULED, paid_on=None, txn_id=None)
    summary = _only(session, citizen)
    assert summary.next.cycle == "2026-12" and summary.expected is None


def test_a_monthly_programme_is_expected_next_month(session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "FFH")
    make_payment(session, citizen, "FFH", cycle="2026-11", amount_bdt=Decimal(20000))
    expected = _only(session, citizen).expected
    assert (expected.cycle, expected.amount_bdt, expected.frequency) == ("2026-12", Decimal(20000), "monthly")


def test_a_new_beneficiary_with_no_payment_is_expected_in_the_next_payment_month(session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "PDA")
    assert _only(session, citizen).expected.cycle == "2027-01"


def test_a_suspended_enrolment_is_expected_nothing(session):
    citizen = make_citizen(session, age=70)
    make_enrolment(session, citizen, "OAA", status=EnrolmentStatus.SUSPENDED)
    make_payment(session, citizen, "OAA", cycle="2026-10")
    assert _only(session, citizen).expected is None


def test_work_wages_with_no_calendar_are_expected_nothing(session):
    citizen = make_citizen(session, age=40)
    make_enrolment(session, citizen, "EGPP")
    make_payment(session, citizen, "EGPP", cycle="2026-10")
    assert _only(session, citizen).expected is None
