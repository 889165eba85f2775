"""SQLAlchemy engine and session handling, one engine per app."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked; WAL lets web readers and an import overlap.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    _engines.append(engine)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.extensions["sahayata.db"] = Database(
        engine, sessionmaker(engine, expire_on_commit=False), sessionmaker(autocommit, expire_on_commit=False)
    )

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        for name in ("db_session", "db_autocommit_session"):
            session = g.pop(name, None)
            if session is not None:
                session.close()


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["sahayata.db"]


def db_session() -> Session:
    """The session of the current app context (request, CLI command or job)."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def autocommit_session() -> Session:
    """A session of the current app context whose statements commit one by one."""
    if "db_autocommit_session" not in g:
        g.db_autocommit_session = database().autocommit_sessions()
    return g.db_autocommit_session


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
