"""staff_users.upazila_ids: an officer may be limited to upazila offices as well as districts

Existing accounts get an empty list: no upazila limit, so each sees what it saw before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upazila_ids", sa.JSON(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE staff_users SET upazila_ids = '[]'"))
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("upazila_ids", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("upazila_ids")
