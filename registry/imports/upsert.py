"""INSERT … ON CONFLICT DO UPDATE for PostgreSQL and SQLite alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows, updating the existing row with the same ``keys`` where it differs.

    The WHERE on the update leaves identical rows untouched, so importing the same file
    twice writes nothing the second time.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    updated = [name for name in rows[0] if name not in keys]
    if updated:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in updated},
            where=or_(*(table.c[name].is_distinct_from(statement.excluded[name]) for name in updated)),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement, list(rows))
