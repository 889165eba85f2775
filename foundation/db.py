"""SQLAlchemy engine and session handling, one engine per app."""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Executable

from foundation.names import register_sqlite_functions

# Stable constraint names so Alembic migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def value_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum's readable values ("active", "bkash"), not Python member names, with a
    CHECK constraint rather than a native type, so migrations stay the same on SQLite."""
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    # Sessions for hot request paths (a USSD hop) that read, or write one statement at a
    # time: autocommit skips the BEGIN and ROLLBACK round trips around every request.
    autocommit_sessions: sessionmaker[Session]
    autocommit_engine: Engine


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked; WAL lets web readers and an import overlap.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    register_sqlite_functions(dbapi_connection)  # what PostgreSQL has built in (a name's key)


# Statement parameters hold phone numbers and NIDs; SQLAlchemy would otherwise print them
# into every database error (and so into the logged traceback of a failed hop or job).
HIDE_PARAMETERS = {"hide_parameters": True}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **HIDE_PARAMETERS)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, **HIDE_PARAMETERS)
    ping_if_idle(engine)
    return engine


# A pooled connection that waited longer than this since its last use is pinged before it is
# handed out; one back in the pool a moment ago is not. Under load every connection is reused
# within milliseconds, and a ping per checkout would be a round trip per request. What the
# ping guards against needs time: a server restart or failover, or a connection closed for
# idleness (idle_session_timeout, a firewall, a pooler). A connection that dies within this
# window fails its first statement instead; SQLAlchemy then drops every older pooled
# connection, and the callers that cannot fail a request for it retry once
# (``is_lost_connection``).
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "sahayata.idle_since"


def ping_if_idle(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, only for connections that sat idle.

    Raising ``DisconnectionError`` from a checkout listener makes the pool discard that
    connection and hand out a fresh one (SQLAlchemy's "Disconnect Handling - Pessimistic",
    https://docs.sqlalchemy.org/en/20/core/events.html#sqlalchemy.events.PoolEvents.checkout)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _remember_when(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_the_stale(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("pooled connection found dead by its ping") from error
            raise


def make_autocommit_engine(url: str, engine: Engine) -> Engine:
    """The engine for hot read paths: every statement commits on its own.

    On PostgreSQL this is a pool of its own, opened in autocommit, because setting the
    isolation level per checkout (``execution_options``) costs a round trip every time and
    resetting it on return another. It skips the pre-ping too (a third round trip): a
    connection that died with the server fails its statement, SQLAlchemy then drops every
    older pooled connection, and the caller retries once (see ``is_lost_connection``).
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return create_engine(
        url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, pool_size=5, max_overflow=10, **HIDE_PARAMETERS
    )


def is_lost_connection(error: BaseException) -> bool:
    """True for a statement that failed because its pooled connection had died (server restart)."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    engine = make_engine(url)
    autocommit = make_autocommit_engine(url, engine)
    _engines.extend([engine, autocommit])
    app.extensions["sahayata.db"] = Database(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(autocommit, expire_on_commit=False),
        autocommit,
    )

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        # One look-up through the ``g`` proxy rather than three: this runs after every request.
        opened = g._get_current_object()
        for name in ("db_session", "db_autocommit_session", "db_autocommit_connection"):
            session_or_connection = opened.pop(name, None)
            if session_or_connection is not None:
                session_or_connection.close()


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["sahayata.db"]


def db_session() -> Session:
    """The session of the current app context (request, CLI command or job)."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def autocommit_connection() -> Connection:
    """A Core connection of the current app context whose statements commit one by one.

    For hot read paths (a USSD hop): executing a prepared select on a plain connection
    skips the ORM session's bookkeeping, which costs more than the query.
    """
    opened = g._get_current_object()  # one look-up through the proxy: every hop asks
    connection = opened.get("db_autocommit_connection")
    if connection is None:
        connection = opened.db_autocommit_connection = database().autocommit_engine.connect()
    return connection


def autocommit_session() -> Session:
    """An ORM session on that same connection, for the rarer paths that want models."""
    if "db_autocommit_session" not in g:
        g.db_autocommit_session = database().autocommit_sessions(bind=autocommit_connection())
    return g.db_autocommit_session


def rollback_autocommit() -> None:
    """After a failed request: end what the request opened of the autocommit connection and
    session (nothing, if it opened neither), so its next statement may reconnect."""
    for name in ("db_autocommit_session", "db_autocommit_connection"):
        if name in g:
            g.get(name).rollback()


def autocommit_scalar(statement: Executable, parameters: dict[str, Any]) -> Any:
    """One prepared select's scalar on the autocommit pool: no BEGIN, COMMIT or pre-ping
    round trips. Run again once if its pooled connection had died with the server."""
    engine = database().autocommit_engine
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                return connection.execute(statement, parameters).scalar()
        except DBAPIError as error:
            if attempt == 2 or not is_lost_connection(error):
                raise
    raise AssertionError("unreachable")


_CONNECTION = "sahayata.connection"


def connection_of(session_or_connection: Session | Connection) -> Connection:
    """The Core connection to run a prepared statement on, whichever the caller holds.

    A session's connection is remembered for its current transaction: asking the session
    again walks its transaction state machine each time, and a redemption's statements ask
    a dozen times."""
    if not isinstance(session_or_connection, Session):
        return session_or_connection
    session = session_or_connection
    if session.in_nested_transaction():
        return session.connection()  # which emits the SAVEPOINT a remembered connection would skip
    transaction = session.get_transaction()
    remembered = session.info.get(_CONNECTION)
    if transaction is not None and remembered is not None and remembered[0] is transaction and transaction.is_active:
        return remembered[1]
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), connection)
    return connection


@contextmanager
def transaction() -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = db_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


_engines: list[Engine] = []


def _dispose_pools_in_child() -> None:
    # A forked RQ work-horse must not reuse the parent's pooled sockets (both processes
    # would talk over one connection); close=False leaves the parent's connections alone.
    for engine in _engines:
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_pools_in_child)
