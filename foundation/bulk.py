"""Bulk INSERT … ON CONFLICT DO UPDATE and UPDATE for PostgreSQL and SQLite alike.

On PostgreSQL a batch travels by COPY into a temporary staging table and is merged with one
INSERT … SELECT … ON CONFLICT statement: with per-row INSERTs (even pipelined) the write
side, not validation, was what an import spent its time on. SQLite, embedded and local,
takes the rows as a plain executemany.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON, Column, ColumnElement, MetaData, Table, bindparam, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from foundation.db import connection_of
from foundation.hot_select import HotStatement

# Up to this many rows, insert_new sends one INSERT … VALUES instead of a COPY into a staging table.
SMALL_BATCH = 20


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _staging_table(session: Session, table: Table, columns: Sequence[str]) -> Table:
    """A temporary table with these columns of ``table``, emptied when the transaction ends."""
    name = f"staging_{table.name}_{zlib.crc32(','.join(columns).encode()):08x}"
    staging = Table(
        name,
        MetaData(),
        *(Column(c, table.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    if _staging_exists(session, name):
        # TRUNCATE, not DELETE: deleted rows stay in the table until the import's transaction
        # ends, and every later batch would scan them again (quadratic in the file's size).
        session.execute(text(f'TRUNCATE "{name}"'))
    else:
        staging.create(session.connection())
    return staging


def _staging_exists(session: Session, name: str) -> bool:
    return bool(session.execute(text("SELECT to_regclass(:name)"), {"name": f"pg_temp.{name}"}).scalar())


def _copy_rows(
    session: Session, staging: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]], *, joined: bool = False
) -> None:
    """COPY rows into ``staging`` (or a table of new rows); ``joined`` when a join on it follows (see ANALYZE)."""
    raw = session.connection().connection.driver_connection
    column_list = ", ".join(f'"{c}"' for c in columns)
    # psycopg adapts str, int, Decimal, date and StrEnum values itself; JSON needs wrapping.
    json_columns = [c for c in columns if isinstance(staging.c[c].type, JSON)]
    with raw.cursor() as cursor, cursor.copy(f'COPY "{staging.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            if json_columns:
                row = {**row, **{c: Json(row[c]) for c in json_columns}}
            copy.write_row([row[c] for c in columns])
    # Temporary tables are never auto-analysed: without statistics the planner guesses a
    # nested loop over the staging rows for UPDATE … FROM, which turned a 100,000-row
    # import from seconds into minutes. A plain INSERT … SELECT plans no join and skips it.
    if joined:
        raw.execute(f'ANALYZE "{staging.name}"')


def insert_all(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows known to be new (their table emptied in this transaction, say): on
    PostgreSQL by COPY straight into the table, on SQLite as one executemany."""
    if not rows:
        return
    if _is_postgresql(session):
        _copy_rows(session, table, list(rows[0]), rows)
    else:
        session.execute(table.insert(), list(rows))


def in_values(session: Session, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``, on PostgreSQL as ``IN (SELECT unnest(array))`` with one parameter.

    An expanded IN of thousands of placeholders costs more to build and parse than the
    query itself. ``= ANY(array)`` avoids that but, once psycopg prepares the statement,
    its generic plan tests every row against the whole array: on a table whose statistics
    were stale that took minutes. A semi-join on unnest keeps the index plan.
    """
    if _is_postgresql(session):
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column.in_(select(func.unnest(array)).scalar_subquery())
    return column.in_(list(values))


def in_rows(
    session: Session, columns: Sequence[ColumnElement[Any]], rows: Sequence[Sequence[Any]]
) -> ColumnElement[bool]:
    """``(columns) IN rows`` for a composite key, on PostgreSQL as a semi-join on ``unnest``
    of one array per column.

    PostgreSQL plans an IN list of row constructors as one OR branch per row, tested on
    every row it reads; the semi-join looks each key up in the composite index. Both need
    current statistics (see ``registry.imports.runner.analyse``).
    """
    if _is_postgresql(session):
        names = [f"k{position}" for position in range(len(columns))]
        arrays = [
            bindparam(None, [row[position] for row in rows], type_=postgresql.ARRAY(column.type))
            for position, column in enumerate(columns)
        ]
        keys = func.unnest(*arrays).table_valued(*names).render_derived()
        return tuple_(*columns).in_(select(*(keys.c[name] for name in names)))
    return tuple_(*columns).in_([tuple(row) for row in rows])


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows, updating the existing row with the same ``keys`` where it differs.

    The WHERE on the update leaves identical rows untouched, so importing the same file
    twice writes nothing the second time. With ``returning``, gives those columns of the
    rows inserted or changed (an untouched row is not among them).
    """
    if not rows:
        return []
    columns = list(rows[0])
    updated = [name for name in columns if name not in keys]
    if _is_postgresql(session):
        staging = _staging_table(session, table, columns)
        _copy_rows(session, staging, columns, rows)
        statement = postgresql.insert(table).from_select(columns, select(*(staging.c[c] for c in columns)))
    else:
        statement = sqlite.insert(table)
    if updated:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in updated},
            where=or_(*(table.c[name].is_distinct_from(statement.excluded[name]) for name in updated)),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    result = session.execute(statement) if _is_postgresql(session) else session.execute(statement, list(rows))
    return [tuple(row) for row in result] if returning else []


def bulk_update(session: Session, table: Table, rows: Sequence[dict[str, Any]], key: str) -> None:
    """UPDATE table SET … WHERE key = … for many rows (by COPY + UPDATE … FROM on PostgreSQL)."""
    if not rows:
        return
    columns = list(rows[0])
    values = [c for c in columns if c != key]
    if _is_postgresql(session):
        staging = _staging_table(session, table, columns)
        _copy_rows(session, staging, columns, rows, joined=True)
        session.execute(
            update(table).where(table.c[key] == staging.c[key]).values({c: staging.c[c] for c in values}),
            execution_options={"synchronize_session": False},
        )
        return
    session.execute(
        update(table).where(table.c[key] == bindparam(f"b_{key}")).values({c: bindparam(f"b_{c}") for c in values}),
        [{f"b_{c}": row[c] for c in columns} for row in rows],
        execution_options={"synchronize_session": False},
    )


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str] | None = None
) -> list[int]:
    """Insert rows, skipping any that would break a unique constraint (on ``keys``, or any);
    returns the ids of the rows inserted. On PostgreSQL by COPY, like ``upsert``, except a
    handful of rows (one SMS of a redemption), which go as one INSERT … VALUES: a staging
    table is created and dropped in the system catalogs each transaction, which cost more
    round trips and server CPU than the rows themselves."""
    if not rows:
        return []
    columns = list(rows[0])
    if _is_postgresql(session) and len(rows) > SMALL_BATCH:
        staging = _staging_table(session, table, columns)
        _copy_rows(session, staging, columns, rows)
        statement = postgresql.insert(table).from_select(columns, select(*(staging.c[c] for c in columns)))
        statement = statement.on_conflict_do_nothing(index_elements=list(keys) if keys else None)
        return list(session.execute(statement.returning(table.c.id)).scalars())
    on_postgresql = _is_postgresql(session)
    if len(rows) == 1:  # one statement on the driver's cursor, not the batched form of many
        one = _one_skipping_conflicts(on_postgresql, table, tuple(keys or ()), tuple(columns))
        found, _ = one.run(connection_of(session), **rows[0])
        return [row[0] for row in found]
    statement = _insert_skipping_conflicts(on_postgresql, table, tuple(keys or ()))
    return list(session.connection().execute(statement, list(rows)).scalars())


@functools.cache
def _insert_skipping_conflicts(on_postgresql: bool, table: Table, keys: tuple[str, ...]):
    """Built once per table: one SMS of a redemption is inserted on every call."""
    insert = postgresql.insert if on_postgresql else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    return statement.returning(table.c.id)


@functools.cache
def _one_skipping_conflicts(
    on_postgresql: bool, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]
) -> HotStatement:
    return HotStatement(_insert_skipping_conflicts(on_postgresql, table, keys), *columns)
