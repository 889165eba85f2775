"""open data: published months and their frozen cells

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_data_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_open_data_months")),
    )
    op.create_table(
        "open_data_cells",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("programme", sa.String(length=16), nullable=False),
        sa.Column("ministry", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["month"], ["open_data_months.month"], name=op.f("fk_open_data_cells_month_open_data_months")
        ),
        sa.PrimaryKeyConstraint(
            "month", "programme", "ministry", "district", "category", "status", name=op.f("pk_open_data_cells")
        ),
    )


def downgrade() -> None:
    op.drop_table("open_data_cells")
    op.drop_table("open_data_months")
