"""Statements on the hottest paths (every USSD hop, every SMS command, every outlet API
call), run on the driver's cursor.

Through ``Connection.execute`` a one-row statement spends a large share of its CPU in
SQLAlchemy's execution context, result metadata and row objects: more than psycopg and
PostgreSQL spend answering it. ``HotSelect`` (a select) and ``HotStatement`` (an insert or
update, with or without RETURNING) compile the statement once per dialect, bind its
constants once, convert each call's parameters with their columns' own bind conversion (an
enum to its stored value, a datetime to SQLite's text), and run it straight on the DBAPI
cursor of the caller's connection, converting each returned column with the statement's own
column types (an enum column still comes back as its enum, a SQLite date as a date).

The statement stays a SQLAlchemy statement, written once for every database. A select's
errors are left to SQLAlchemy: when the driver raises, the select runs again through
``Connection.execute``, which classifies the error, drops the pool's connections after a
server restart (so the caller's retry finds a live one) and raises it wrapped as usual. A
write is never run twice (on PostgreSQL its failure has aborted the transaction): the
driver's error is wrapped as SQLAlchemy wraps it (an ``IntegrityError`` for a unique
violation), and a lost connection is invalidated first. With SAHAYATA_FAST_PATH=0 every
statement runs through ``Connection.execute`` from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from foundation.config import fast_path

Processor = Callable[[Any], Any] | None


class _Compiled:
    """The statement as one dialect's SQL, its constant parameters, and its column converters."""

    def __init__(
        self, statement: Select | Insert | Update, dialect: Dialect, parameters: tuple[str, ...], *, sets: bool = False
    ) -> None:
        # A write's columns are named by its parameters, as Connection.execute(insert(t), {...}) names them.
        compiled = statement.compile(dialect=dialect, column_keys=list(parameters) if sets else None)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            # A Python-side default (a timestamp's utcnow) is computed by SQLAlchemy's execution
            # context, which the cursor path skips: such a column must be given.
            missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
            raise TypeError(f"give {missing} explicitly: their defaults are computed by SQLAlchemy")
        self.sql = compiled.string
        # psycopg takes the query as bytes, and encodes (then hashes, for its cache of parsed
        # queries) a str on every call.
        self.query: str | bytes = self.sql.encode() if dialect.driver == "psycopg" else self.sql
        # Constants written into the statement (a status, LIMIT 1) go through their type's bind
        # conversion once, here; the call's own parameters go through it on every call.
        constants = compiled.construct_params(dict.fromkeys(parameters))
        self.converting: dict[str, Callable[[Any], Any]] = {}
        for key, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if key in parameters:
                if process is not None:
                    self.converting[key] = process
            elif process is not None and constants.get(key) is not None:
                constants[key] = process(constants[key])
        self.positional = compiled.positiontup  # qmark drivers (sqlite3) take a sequence
        self.constants = constants
        self.types = [column.type.dialect_impl(dialect) for column in statement.exported_columns]
        self.processors: list[Processor] | None = None  # from the first result's column type codes

    def parameters(self, given: dict[str, Any]) -> Any:
        values = {**self.constants, **given}
        for key, process in self.converting.items():
            if values.get(key) is not None:
                values[key] = process(values[key])
        return [values[name] for name in self.positional] if self.positional else values

    def converters(self, cursor: Any, dialect: Dialect) -> list[Processor]:
        if self.processors is None:
            # Built once, from the first result's type codes: psycopg rebuilds
            # cursor.description on every access.
            self.processors = [
                kind.result_processor(dialect, column[1])
                for kind, column in zip(self.types, cursor.description, strict=True)
            ]
        return self.processors


# The DBAPI connection's cursor for these statements, made once per connection and kept in the
# pool's record of it: a psycopg cursor costs more to make and close than a short select
# costs to send.
_CURSOR = "foundation.hot_select.cursor"


def _cursor_of(connection: Connection) -> Any:
    pooled = connection.connection
    dbapi_connection = pooled.dbapi_connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.connection is not dbapi_connection or getattr(cursor, "closed", False):
        cursor = pooled.info[_CURSOR] = dbapi_connection.cursor()
    return cursor


class HotSelect:
    """``HotSelect(select(...).where(X == bindparam("x")), "x").rows(connection, x=1)``"""

    def __init__(self, statement: Select, *parameters: str) -> None:
        self.statement = statement
        self.parameter_names = parameters
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        compiled = self._by_dialect.get(key)
        if compiled is None:
            compiled = self._by_dialect[key] = _Compiled(self.statement, dialect, self.parameter_names)
        return compiled

    def rows(self, connection: Connection, **given: Any) -> list[tuple[Any, ...]]:
        """Every row, as tuples in the order of the select's columns."""
        # Compiled either way, so that a statement the cursor path refuses is refused with
        # the switch off too.
        compiled = self._compiled(connection.dialect)
        if not fast_path():
            return self._through_sqlalchemy(connection, given)
        return self._on_cursor(compiled, connection, given)

    def _through_sqlalchemy(self, connection: Connection, given: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(self.statement, given)]

    def _on_cursor(self, compiled: _Compiled, connection: Connection, given: dict[str, Any]) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        dbapi = dialect.loaded_dbapi
        try:
            cursor = _cursor_of(connection)
            cursor.execute(compiled.query, compiled.parameters(given))
            fetched = cursor.fetchall()
            converters = compiled.converters(cursor, dialect)
        except dbapi.Error:
            # SQLAlchemy's own path decides what the error means (see the module docstring).
            return self._through_sqlalchemy(connection, given)
        if not any(converters):
            return fetched
        return [tuple(v if c is None else c(v) for c, v in zip(converters, row, strict=True)) for row in fetched]

    def first(self, connection: Connection, **given: Any) -> tuple[Any, ...] | None:
        rows = self.rows(connection, **given)
        return rows[0] if rows else None


class HotStatement:
    """``HotStatement(update(t).where(t.c.id == bindparam("b_id")), "b_id", "status").run(connection, ...)``

    An insert or update (or a select inside a transaction that must not run twice: one
    that locks): for a write, the parameters named besides the statement's own bind
    parameters are the columns it sets (as ``Connection.execute`` reads them from a dict).
    ``run`` returns the rows (RETURNING, or the select's) as tuples and the rows written."""

    def __init__(self, statement: Select | Insert | Update, *parameters: str) -> None:
        self.statement = statement
        self.parameter_names = parameters
        self.returns_rows = bool(statement.exported_columns)
        self._writes = isinstance(statement, Insert | Update)
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        compiled = self._by_dialect.get(key)
        if compiled is None:
            compiled = _Compiled(self.statement, dialect, self.parameter_names, sets=self._writes)
            self._by_dialect[key] = compiled
        return compiled

    def run(self, connection: Connection, **given: Any) -> tuple[list[tuple[Any, ...]], int]:
        if given.keys() != set(self.parameter_names):
            # A parameter left out would be written as NULL on the cursor path.
            raise TypeError(f"HotStatement takes exactly {sorted(self.parameter_names)}, got {sorted(given)}")
        compiled = self._compiled(connection.dialect)
        if not fast_path():
            result = connection.execute(self.statement, given)
            rows = [tuple(row) for row in result] if self.returns_rows else []
            return rows, result.rowcount
        return self._on_cursor(compiled, connection, given)

    def first(self, connection: Connection, **given: Any) -> tuple[Any, ...] | None:
        rows, _ = self.run(connection, **given)
        return rows[0] if rows else None

    def _on_cursor(
        self, compiled: _Compiled, connection: Connection, given: dict[str, Any]
    ) -> tuple[list[tuple[Any, ...]], int]:
        dialect = connection.dialect
        dbapi = dialect.loaded_dbapi
        dbapi_connection = connection.connection.dbapi_connection
        parameters = compiled.parameters(given)
        cursor = None
        try:
            cursor = _cursor_of(connection)
            cursor.execute(compiled.query, parameters)
            # PostgreSQL's INSERT returns the new key even when not asked (SQLAlchemy adds it).
            fetched = cursor.fetchall() if self.returns_rows else []
            written = cursor.rowcount
            converters = compiled.converters(cursor, dialect) if self.returns_rows else []
        except dbapi.Error as error:
            lost = dialect.is_disconnect(error, dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.sql,
                None,  # the parameters hold phone numbers and NIDs (foundation.db hides them too)
                error,
                dbapi.Error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        if not any(converters):
            return fetched, written
        rows = [tuple(v if c is None else c(v) for c, v in zip(converters, row, strict=True)) for row in fetched]
        return rows, written
