"""The engines keep statement parameters (phone numbers, NIDs) out of database errors."""

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from foundation.db import database

PHONE = "+8801712345678"
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("which", ["engine", "autocommit_engine"])
def test_a_database_error_does_not_show_the_statements_parameters(app, which):
    engine = getattr(database(app), which)
    with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(text("SELECT * FROM no_such_table WHERE mobile = :mobile"), {"mobile": PHONE})
    message = str(raised.value)
    assert "no_such_table" in message and PHONE not in message
    assert "parameters hidden" in message


def test_connection_of_keeps_a_savepoints_rollback(session):
    """The session's connection is remembered per transaction, but not inside a SAVEPOINT,
    which only asking the session emits."""
    from foundation.db import connection_of
    from grievance.models import CitizenQuestion

    table = CitizenQuestion.__table__
    values = {"phone_hash": "h", "kind": "payment_received", "locale": "bn", "asked_at": NOW, "open_until": NOW}
    connection_of(session).execute(table.insert(), {**values, "subject_id": 1})
    nested = session.begin_nested()
    connection_of(session).execute(table.insert(), {**values, "subject_id": 2})
    nested.rollback()
    kept = session.execute(select(table.c.subject_id).order_by(table.c.subject_id)).scalars().all()
    session.rollback()
    assert kept == [1]
