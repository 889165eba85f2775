"""programmes: the office citizens go to, whom one enrolment serves, whom it is paid to, list order

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_bn", sa.String(length=120), nullable=False),
        sa.Column("name_bn_latn", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_offices")),
    )
    # Existing rows get the defaults here; `db upgrade` fills them from seed/programmes.csv.
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("office_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("benefit_unit", sa.String(length=16), nullable=False, server_default="person"))
        batch.add_column(sa.Column("paid_to", sa.String(length=16), nullable=True))
        batch.create_foreign_key(op.f("fk_programmes_office_code_offices"), "offices", ["office_code"], ["code"])


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_constraint(op.f("fk_programmes_office_code_offices"), type_="foreignkey")
        for column in ("paid_to", "benefit_unit", "office_code", "position"):
            batch.drop_column(column)
    op.drop_table("offices")
