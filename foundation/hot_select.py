"""Selects on the hottest paths (every USSD hop, every SMS command), run on the driver's cursor.

Through ``Connection.execute`` a one-row select of the registry spends a large share of its
CPU in SQLAlchemy's execution context, result metadata and row objects: more than psycopg
and PostgreSQL spend answering it. ``HotSelect`` compiles the statement once per dialect,
binds its constants once, and then runs it straight on the DBAPI cursor of the caller's
connection, converting each column with the statement's own column types (an enum column
still comes back as its enum, a SQLite date as a date).

The statement stays a SQLAlchemy select, written once for every database. Errors are left to
SQLAlchemy: when the driver raises, the statement runs again through ``Connection.execute``,
which classifies the error, drops the pool's connections after a server restart (so the
caller's retry finds a live one) and raises it wrapped as usual. With SAHAYATA_FAST_PATH=0
every select runs through ``Connection.execute`` from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

from foundation.config import fast_path

Processor = Callable[[Any], Any] | None


class _Compiled:
    """The statement as one dialect's SQL, its constant parameters, and its column converters."""

    def __init__(self, statement: Select, dialect: Dialect, parameters: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # Constants written into the statement (a status, LIMIT 1) go through their type's bind
        # conversion once, here; the call's own parameters must need none (ints and strings).
        constants = compiled.construct_params(dict.fromkeys(parameters))
        for key, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if key in parameters:
                if process is not None:
                    raise TypeError(f"HotSelect parameter {key!r} needs conversion; run it through SQLAlchemy")
            elif process is not None and constants.get(key) is not None:
                constants[key] = process(constants[key])
        self.positional = compiled.positiontup  # qmark drivers (sqlite3) take a sequence
        self.constants = constants
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self.processors: list[Processor] | None = None  # from the first result's column type codes

    def parameters(self, given: dict[str, Any]) -> Any:
        values = {**self.constants, **given}
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
            cursor = connection.connection.dbapi_connection.cursor()
            try:
                cursor.execute(compiled.sql, compiled.parameters(given))
                fetched = cursor.fetchall()
                converters = compiled.converters(cursor, dialect)
            finally:
                cursor.close()
        except dbapi.Error:
            # SQLAlchemy's own path decides what the error means (see the module docstring).
            return self._through_sqlalchemy(connection, given)
        if not any(converters):
            return fetched
        return [tuple(v if c is None else c(v) for c, v in zip(converters, row, strict=True)) for row in fetched]

    def first(self, connection: Connection, **given: Any) -> tuple[Any, ...] | None:
        rows = self.rows(connection, **given)
        return rows[0] if rows else None
