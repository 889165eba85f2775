"""the SLA calendar: holidays from the pinned holidays package plus a gazette file, with sources and an audit

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

import datetime as dt

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
    # The clock of a complaint with a deadline started at the last event that set due_at:
    # its first routing (received -> routed), an appeal, or an escalation by the SLA clock.
    # A transfer also ends in routed (transferred -> routed) but keeps the deadline, so it
    # is not a clock start; nor is an event that stays in appealed.
    op.execute(
        "UPDATE grievances SET sla_started_at = ("
        " SELECT max(e.at) FROM grievance_events e WHERE e.grievance_id = grievances.id"
        " AND ((e.from_status = 'received' AND e.to_status = 'routed')"
        " OR (e.to_status = 'appealed' AND (e.from_status IS NULL OR e.from_status <> 'appealed'))"
        " OR e.actor = 'sla-clock'))"
        " WHERE due_at IS NOT NULL"
    )
    op.execute("UPDATE grievances SET sla_started_at = routed_at WHERE due_at IS NOT NULL AND sla_started_at IS NULL")
    # The fixed-date rows it held come from the package now; the calendar is no longer a table.
    op.drop_table("public_holidays")


# What public_holidays held when this revision dropped it (grievance/seed/public_holidays.csv,
# since deleted): a downgrade gives the older code the calendar it ran on, not an empty one.
PUBLIC_HOLIDAYS = (
    ("2026-02-21", "Language Martyrs' Day", "শহীদ দিবস ও আন্তর্জাতিক মাতৃভাষা দিবস"),
    ("2026-03-17", "Birthday of the Father of the Nation", "জাতির পিতার জন্মদিন"),
    ("2026-03-26", "Independence Day", "স্বাধীনতা দিবস"),
    ("2026-04-14", "Bengali New Year", "পহেলা বৈশাখ"),
    ("2026-05-01", "May Day", "মে দিবস"),
    ("2026-12-16", "Victory Day", "বিজয় দিবস"),
    ("2026-12-25", "Christmas Day", "বড়দিন"),
    ("2027-02-21", "Language Martyrs' Day", "শহীদ দিবস ও আন্তর্জাতিক মাতৃভাষা দিবস"),
    ("2027-03-26", "Independence Day", "স্বাধীনতা দিবস"),
    ("2027-04-14", "Bengali New Year", "পহেলা বৈশাখ"),
    ("2027-05-01", "May Day", "মে দিবস"),
    ("2027-12-16", "Victory Day", "বিজয় দিবস"),
    ("2027-12-25", "Christmas Day", "বড়দিন"),
)


def downgrade() -> None:
    public_holidays = op.create_table(
        "public_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_bn", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_public_holidays")),
    )
    op.bulk_insert(
        public_holidays,
        [
            {"day": dt.date.fromisoformat(day), "name_en": name_en, "name_bn": name_bn}
            for day, name_en, name_bn in PUBLIC_HOLIDAYS
        ],
    )
    with op.batch_alter_table("grievances") as batch:
        batch.drop_column("sla_started_at")
    op.drop_index(op.f("ix_holiday_changes_day"), table_name="holiday_changes")
    op.drop_table("holiday_changes")
