"""citizens: index (mobile, id) for "the earliest citizen with this phone"

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

With an index on mobile alone, `WHERE mobile = ? ORDER BY id LIMIT 1` let PostgreSQL walk
the primary key filtering on mobile, on every USSD dial: a walk that grows with the registry.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_citizens_mobile_id", "citizens", ["mobile", "id"])
    op.drop_index("ix_citizens_mobile", table_name="citizens")


def downgrade() -> None:
    op.create_index("ix_citizens_mobile", "citizens", ["mobile"])
    op.drop_index("ix_citizens_mobile_id", table_name="citizens")
