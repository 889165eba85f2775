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


def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite's engine has no pool to ping (CI's PostgreSQL pass runs this)")


def _terminate_every_backend(database_url: str) -> None:
    """What a server restart does to a pool: every backend of this database goes away."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def counted_pings(monkeypatch):
    from foundation.db import make_engine

    def engine_counting_pings(url):
        engine = make_engine(url)
        pings = []
        plain = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or plain(connection))
        return engine, pings

    return engine_counting_pings


def test_a_connection_back_in_the_pool_a_moment_ago_is_handed_out_without_a_ping(database_url, counted_pings):
    _postgres_only(database_url)
    engine, pings = counted_pings(database_url)
    for _ in range(5):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []  # new, then reused at once: no round trip spent on asking
    engine.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_and_a_dead_one_replaced(database_url, counted_pings, monkeypatch):
    _postgres_only(database_url)
    engine, pings = counted_pings(database_url)
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    monkeypatch.setattr("foundation.db.PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had sat idle
    _terminate_every_backend(database_url)
    with engine.connect() as connection:
        second_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    assert pings, "the idle connection was not pinged"
    assert second_pid != first_pid  # the dead one was discarded before the statement met it
    engine.dispose()
