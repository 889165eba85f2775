"""HotSelect gives the same rows as SQLAlchemy's own execution, on either database."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import String, TypeDecorator, bindparam, event, func, insert, select, text, type_coerce, update
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


# -- pipelined: writes whose answers nobody reads share a round trip -------------------------
PLAIN_QUESTION = HotStatement(insert(QUESTIONS), "phone_hash", "kind", "subject_id", "locale", "asked_at", "open_until")
COUNT_QUESTIONS = HotSelect(
    select(func.count()).select_from(QUESTIONS).where(QUESTIONS.c.subject_id == bindparam("s")), "s"
)


def _question(subject_id: int) -> dict:
    return {
        "phone_hash": "h",
        "kind": QuestionKind.PAYMENT_RECEIVED,
        "subject_id": subject_id,
        "locale": "bn",
        "asked_at": ASKED,
        "open_until": ASKED + dt.timedelta(days=7),
    }


def _syncs(session, action) -> int:
    """How many times the server said it was ready for the next query while ``action`` ran:
    one for each round trip of a statement out of a pipeline (libpq's protocol trace)."""
    import tempfile

    pgconn = session.connection().connection.dbapi_connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            pgconn.untrace()
        trace.seek(0)
        return sum(1 for line in trace if "\tB\t" in line and "ReadyForQuery" in line)


def _on_pipelines(app, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite has no pipeline (CI's second pass runs this)")
    if not app.config["SAHAYATA_FAST_PATH"]:
        pytest.skip("with SAHAYATA_FAST_PATH=0 nothing is pipelined (send is run: the last test)")


def test_five_sent_writes_and_a_read_cost_one_round_trip_in_a_pipeline(app, session):
    from foundation.db import connection_of
    from foundation.hot_select import pipelined

    _on_pipelines(app, session)
    connection = connection_of(session)
    COUNT_QUESTIONS.first(connection, s=41)  # the transaction's BEGIN, before counting

    def five_and_a_read(block) -> None:
        with block(connection):
            for _ in range(5):
                PLAIN_QUESTION.send(connection, **_question(41))
            assert COUNT_QUESTIONS.first(connection, s=41)[0] in (5, 10)

    from contextlib import nullcontext

    assert _syncs(session, lambda: five_and_a_read(lambda c: nullcontext())) == 6
    # The read's flush carries the five writes; the block's end is the one sync.
    assert _syncs(session, lambda: five_and_a_read(pipelined)) == 1
    assert COUNT_QUESTIONS.first(connection, s=41) == (10,)


def test_a_sent_write_that_fails_raises_sqlalchemys_error_at_the_blocks_end(app, session):
    from foundation.db import connection_of
    from foundation.hot_select import pipelined

    _on_pipelines(app, session)
    connection = connection_of(session)
    broken = HotStatement(update(QUESTIONS).values(subject_id=bindparam("s") / 0), "s")
    with pytest.raises(DBAPIError), pipelined(connection):
        broken.send(connection, s=1)
    session.rollback()
    assert COUNT_QUESTIONS.first(connection_of(session), s=1) == (0,)


def test_an_update_run_in_a_pipeline_still_says_how_many_rows_it_wrote(app, session):
    from foundation.db import connection_of
    from foundation.hot_select import pipelined

    connection = connection_of(session)
    PLAIN_QUESTION.send(connection, **_question(43))  # outside a block: run at once
    PLAIN_QUESTION.send(connection, **_question(43))
    relocale = HotStatement(
        update(QUESTIONS).where(QUESTIONS.c.subject_id == bindparam("b_s")).values(locale=bindparam("locale")),
        "b_s",
        "locale",
    )
    with pipelined(connection):
        PLAIN_QUESTION.send(connection, **_question(43))
        assert relocale.run(connection, b_s=43, locale="en") == ([], 3)
