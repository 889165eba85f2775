"""dashboards: each scope's figures in two parts, stored by the refresh jobs and read by page views

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the first refresh (the scheduler's, or the first dashboard view's).
    op.create_table(
        "dashboard_figures",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "part", name=op.f("pk_dashboard_figures")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_figures")
