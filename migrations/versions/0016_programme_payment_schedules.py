"""programmes carry their payment schedule

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The schedules of registry/seed/programmes.csv when this revision was written (see
# registry/seed/README.md for their sources), so a database upgraded without the reference
# sync stops calling the quarterly allowances monthly; `db upgrade` syncs the seed after.
SCHEDULES = {
    "OAA": ("quarterly", "1,4,7,10"),
    "WDA": ("quarterly", "1,4,7,10"),
    "PDA": ("quarterly", "1,4,7,10"),
    "SSD": ("quarterly", "1,4,7,10"),
    "PESP": ("quarterly", "1,4,7,10"),
    "FFP": ("monthly", "2,3,8,9,10,11"),
    "VGF": ("irregular", ""),
    "EGPP": ("irregular", ""),
    "MHV": ("one_off", ""),
}


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("payment_frequency", sa.String(length=16), nullable=False, server_default="monthly"))
        batch.add_column(sa.Column("payment_months", sa.String(length=40), nullable=False, server_default=""))
    programmes = sa.table(
        "programmes",
        sa.column("code", sa.String),
        sa.column("payment_frequency", sa.String),
        sa.column("payment_months", sa.String),
    )
    for code, (frequency, months) in SCHEDULES.items():
        op.execute(
            programmes.update()
            .where(programmes.c.code == code)
            .values(payment_frequency=frequency, payment_months=months)
        )


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("payment_months")
        batch.drop_column("payment_frequency")
