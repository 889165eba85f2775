"""signals: each signal's last run and its masked items, written by the refresh job and read
a page at a time by the Signals page

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the first refresh (the scheduler's, an import's, or the first page view's).
    op.create_table(
        "signal_runs",
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("signal", name=op.f("pk_signal_runs")),
    )
    op.create_table(
        "signal_items",
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("programmes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("signal", "position", name=op.f("pk_signal_items")),
    )
    op.create_index("ix_signal_items_key", "signal_items", ["signal", "key"])
    op.create_table(
        "signal_item_programmes",
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("programme_code", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("signal", "programme_code", "position", name=op.f("pk_signal_item_programmes")),
    )


def downgrade() -> None:
    op.drop_table("signal_item_programmes")
    op.drop_index("ix_signal_items_key", table_name="signal_items")
    op.drop_table("signal_items")
    op.drop_table("signal_runs")
