"""HotSelect gives the same rows as SQLAlchemy's own execution, on either database."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import String, TypeDecorator, bindparam, event, insert, select, text, type_coerce, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from foundation.clock import as_utc
from foundation.hot_select import HotSelect, HotStatement
from grievance.models import CitizenQuestion, QuestionKind
from registry.models import Outlet, Payment, PaymentChannel, PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_payment
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.redemption_support import make_outlet

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


def test_a_parameter_that_needs_conversion_goes_through_its_columns_conversion(session, paid_citizen):
    statement = select(Payment.cycle).where(
        Payment.citizen_id == bindparam("citizen_id"), Payment.status == bindparam("status")
    )
    hot = HotSelect(statement, "citizen_id", "status")
    assert hot.rows(session.connection(), citizen_id=paid_citizen.id, status=PaymentStatus.FAILED) == [("2026-09",)]


def test_a_driver_error_comes_back_as_sqlalchemys_error(session):
    broken = HotSelect(select(text("no_such_column")).select_from(text("payments")))
    with pytest.raises(DBAPIError):
        broken.rows(session.connection())


QUESTIONS = CitizenQuestion.__table__
ASKED = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
INSERT_QUESTION = HotStatement(
    insert(QUESTIONS).returning(QUESTIONS.c.id, QUESTIONS.c.kind, QUESTIONS.c.asked_at),
    "phone_hash",
    "kind",
    "subject_id",
    "locale",
    "asked_at",
    "open_until",
)


def _ask(session, subject_id: int):
    return INSERT_QUESTION.first(
        session.connection(),
        phone_hash="h" * 64,
        kind=QuestionKind.PAYMENT_RECEIVED,
        subject_id=subject_id,
        locale="bn",
        asked_at=ASKED,
        open_until=ASKED + dt.timedelta(days=7),
    )


def test_an_insert_writes_the_columns_named_and_returns_converted_rows(session):
    question_id, kind, asked_at = _ask(session, 41)
    assert kind is QuestionKind.PAYMENT_RECEIVED and as_utc(asked_at) == ASKED
    stored = session.execute(select(QUESTIONS).where(QUESTIONS.c.id == question_id)).one()
    assert (stored.kind, stored.subject_id, stored.locale) == (QuestionKind.PAYMENT_RECEIVED, 41, "bn")
    session.rollback()


def test_an_update_says_how_many_rows_it_wrote(session):
    _ask(session, 42)
    _ask(session, 42)
    close = HotStatement(
        update(QUESTIONS).where(QUESTIONS.c.subject_id == bindparam("b_subject")), "b_subject", "open_until"
    )
    rows, written = close.run(session.connection(), b_subject=42, open_until=ASKED)
    assert (rows, written) == ([], 2)
    session.rollback()


def test_a_column_whose_default_sqlalchemy_computes_must_be_given(session):
    without_asked_at = HotStatement(insert(QUESTIONS), "phone_hash", "kind", "subject_id", "locale", "open_until")
    with pytest.raises(TypeError, match="asked_at"):
        without_asked_at.run(
            session.connection(), phone_hash="h", kind="payment_received", subject_id=1, locale="bn", open_until=ASKED
        )


def test_a_unique_violation_is_an_integrity_error_and_the_write_is_not_run_again(app, session):
    outlet, other = make_outlet(session), make_outlet(session)
    session.commit()
    table = Outlet.__table__
    recode = HotStatement(update(table).where(table.c.id == bindparam("b_id")), "b_id", "code")
    through_sqlalchemy = []

    def seen(_connection, _cursor, statement, *_args):
        through_sqlalchemy.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", seen)
    try:
        with pytest.raises(IntegrityError):
            recode.run(session.connection(), b_id=other.id, code=outlet.code)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", seen)
    session.rollback()
    # On the fast path the write went to the cursor alone; with the plain library, once.
    expected = 0 if app.config["SAHAYATA_FAST_PATH"] else 1
    assert len([each for each in through_sqlalchemy if each.startswith("UPDATE outlets")]) == expected


def test_a_write_must_be_given_every_parameter_it_names(session):
    """On the cursor path a parameter left out would be written as NULL."""
    close = HotStatement(
        update(QUESTIONS).where(QUESTIONS.c.subject_id == bindparam("b_subject")), "b_subject", "open_until"
    )
    with pytest.raises(TypeError, match="open_until"):
        close.run(session.connection(), b_subject=42)
    with pytest.raises(TypeError, match="locale"):
        close.run(session.connection(), b_subject=42, open_until=ASKED, locale="bn")
