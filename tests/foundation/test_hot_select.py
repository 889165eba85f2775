"""HotSelect gives the same rows as SQLAlchemy's own execution, on either database."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import String, TypeDecorator, bindparam, select, text, type_coerce
from sqlalchemy.exc import DBAPIError

from foundation.hot_select import HotSelect
from registry.models import Payment, PaymentChannel, PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_payment
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)

PAYMENTS = (
    select(Payment.cycle, Payment.amount_bdt, Payment.status, Payment.channel, Payment.paid_on, Payment.failure_reason)
    .where(Payment.citizen_id == bindparam("citizen_id"), Payment.status != PaymentStatus.SCHEDULED)
    .order_by(Payment.cycle)
)


@pytest.fixture
def paid_citizen(session):
    citizen = make_citizen(session)
    make_enrolment(session, citizen)
    make_payment(
        session,
        citizen,
        cycle="2026-09",
        amount_bdt=Decimal("1234567.50"),
        status=PaymentStatus.FAILED,
        paid_on=None,
        failure_reason="wallet inactive",
    )
    make_payment(session, citizen, cycle="2026-10", channel=PaymentChannel.BKASH)
    make_payment(session, citizen, cycle="2026-11", status=PaymentStatus.SCHEDULED, paid_on=None)
    session.commit()
    return citizen


def test_rows_have_the_types_sqlalchemy_gives(session, paid_citizen):
    connection = session.connection()
    expected = [tuple(row) for row in connection.execute(PAYMENTS, {"citizen_id": paid_citizen.id})]

    rows = HotSelect(PAYMENTS, "citizen_id").rows(connection, citizen_id=paid_citizen.id)

    assert rows == expected
    assert rows == [
        ("2026-09", Decimal("1234567.50"), PaymentStatus.FAILED, PaymentChannel.NAGAD, None, "wallet inactive"),
        ("2026-10", Decimal(600), PaymentStatus.CREDITED, PaymentChannel.BKASH, dt.date(2026, 10, 12), None),
    ]
    assert [type(value) for value in rows[1]] == [str, Decimal, PaymentStatus, PaymentChannel, dt.date, type(None)]


class Lowered(TypeDecorator):
    """A type that changes what it binds, to see whether a statement's constant went through it."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.lower()


def test_constants_in_the_statement_go_through_their_types_bind_conversion(session, paid_citizen):
    statement = select(Payment.cycle).where(
        Payment.citizen_id == bindparam("citizen_id"), Payment.failure_reason == type_coerce("WALLET INACTIVE", Lowered)
    )
    assert HotSelect(statement, "citizen_id").rows(session.connection(), citizen_id=paid_citizen.id) == [("2026-09",)]


def test_first_of_no_rows_is_none(session):
    assert HotSelect(PAYMENTS, "citizen_id").first(session.connection(), citizen_id=-1) is None


def test_a_parameter_that_needs_conversion_is_refused(session):
    statement = select(Payment.id).where(Payment.status == bindparam("status"))
    with pytest.raises(TypeError, match="status"):
        HotSelect(statement, "status").rows(session.connection(), status=PaymentStatus.SENT)


def test_a_driver_error_comes_back_as_sqlalchemys_error(session):
    broken = HotSelect(select(text("no_such_column")).select_from(text("payments")))
    with pytest.raises(DBAPIError):
        broken.rows(session.connection())
