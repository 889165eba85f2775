"""programme short names for USSD menus

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("short_name_en", "short_name_bn", "short_name_bn_latn")


def upgrade() -> None:
    # Existing rows get "" here; `db upgrade` fills the names from seed/programmes.csv.
    with op.batch_alter_table("programmes") as batch:
        for column in COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=40), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
