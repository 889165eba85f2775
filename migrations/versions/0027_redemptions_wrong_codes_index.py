"""redemptions: a partial index of those with a wrong code typed, by outlet and start, so the
start of a redemption sums an hour of its outlet's wrong codes without reading its right ones

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_redemptions_outlet_wrong_codes",
        "redemptions",
        ["outlet_id", "started_at"],
        postgresql_where=sa.text("wrong_codes > 0"),
        sqlite_where=sa.text("wrong_codes > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_redemptions_outlet_wrong_codes", table_name="redemptions")
