"""citizens: trigram indexes of the names' comparison keys, so a staff search by part of a name
is an index look-up, not a scan of the registry (PostgreSQL; SQLite has no pg_trgm)

pg_trgm ships with PostgreSQL and is a trusted extension from PostgreSQL 13 on, so the
database's owner may create it (https://www.postgresql.org/docs/15/pgtrgm.html: "This module
is considered trusted"); its GIN operator class serves LIKE '%…%' with at least three
characters. The indexed expression is foundation.names.normalised_name exactly, or the
planner would not match it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEXES = {"ix_citizens_name_en_key_trgm": "name_en", "ix_citizens_name_bn_key_trgm": "name_bn"}
# foundation.names.NAME_PUNCTUATION as of this revision, frozen here: a later change of the key
# needs a migration of its own (tests/staff/test_search.py finds a key and index apart).
PUNCTUATION = " \u00a0\u200b\u200c\u200d.,-'`\"()/_:;"


def name_key_sql(column: str) -> str:
    quoted = "'" + PUNCTUATION.replace("'", "''") + "'"
    return f"lower(normalize(translate({column}, {quoted}, ''), NFC))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, column in INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON citizens USING gin (({name_key_sql(column)}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
