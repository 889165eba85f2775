"""the SLA calendar: holidays from the pinned holidays package plus a gazette file, with sources and an audit

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "action",
            sa.Enum("add", "confirm", "remove", name="holiday_action", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("name_bn", sa.String(length=120), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_changes")),
    )
    op.create_index(op.f("ix_holiday_changes_day"), "holiday_changes", ["day"], unique=False)
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=True))
    # The clock of a complaint with a deadline started at its last routing, escalation or
    # appeal: the events that set due_at.
    op.execute(
        "UPDATE grievances SET sla_started_at = ("
        " SELECT max(e.at) FROM grievance_events e WHERE e.grievance_id = grievances.id"
        " AND (e.to_status IN ('routed', 'appealed') OR e.actor = 'sla-clock'))"
        " WHERE due_at IS NOT NULL"
    )
    op.execute("UPDATE grievances SET sla_started_at = routed_at WHERE due_at IS NOT NULL AND sla_started_at IS NULL")
    # The fixed-date rows it held come from the package now; the calendar is no longer a table.
    op.drop_table("public_holidays")


def downgrade() -> None:
    op.create_table(
        "public_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_bn", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_public_holidays")),
    )
    with op.batch_alter_table("grievances") as batch:
        batch.drop_column("sla_started_at")
    op.drop_index(op.f("ix_holiday_changes_day"), table_name="holiday_changes")
    op.drop_table("holiday_changes")
