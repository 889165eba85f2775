"""grievances: a partial index of the complaints waiting to be routed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WAITING = sa.text("status = 'received'")


def upgrade() -> None:
    op.create_index("ix_grievances_waiting", "grievances", ["id"], postgresql_where=WAITING, sqlite_where=WAITING)


def downgrade() -> None:
    op.drop_index("ix_grievances_waiting", table_name="grievances")
