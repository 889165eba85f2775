"""the yes/no questions each phone was asked, so a bare "1" or "2" answers the right one

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# As grievance.jobs.close_unconfirmed: a resolution unanswered this long is closed unconfirmed.
RESOLUTION_OPEN_DAYS = 7
KINDS = ("complaint_resolved", "payment_received", "redemption_code", "redemption_receipt")


def upgrade() -> None:
    kind = sa.Enum(*KINDS, name="citizen_question_kind", native_enum=False, length=20, create_constraint=True)
    op.create_table(
        "citizen_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", kind, nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_questions")),
    )
    op.create_index(
        "ix_citizen_questions_open",
        "citizen_questions",
        ["phone_hash", "asked_at"],
        postgresql_where=sa.text("answered_at IS NULL"),
        sqlite_where=sa.text("answered_at IS NULL"),
    )
    op.create_index("ix_citizen_questions_subject", "citizen_questions", ["kind", "subject_id"])
    _ask_of_complaints_already_resolved()


def _ask_of_complaints_already_resolved() -> None:
    """Complaints marked resolved before this revision were asked "is it resolved?" without a
    row here: each gets its question, from the phone that filed it, so a "1" or "2" sent after
    the upgrade still answers it."""
    connection = op.get_bind()
    resolved = connection.execute(
        sa.text(
            "SELECT g.id, g.phone_hash, g.locale, MAX(e.at) FROM grievances g "
            "JOIN grievance_events e ON e.grievance_id = g.id AND e.to_status = 'resolved' "
            "WHERE g.status = 'resolved' GROUP BY g.id, g.phone_hash, g.locale"
        )
    ).all()
    rows = []
    for grievance_id, phone_hash, locale, resolved_at in resolved:
        asked = resolved_at if isinstance(resolved_at, dt.datetime) else dt.datetime.fromisoformat(str(resolved_at))
        asked = asked if asked.tzinfo else asked.replace(tzinfo=dt.UTC)
        rows.append(
            {
                "phone_hash": phone_hash,
                "kind": "complaint_resolved",
                "subject_id": grievance_id,
                "locale": locale,
                "asked_at": asked,
                "open_until": asked + dt.timedelta(days=RESOLUTION_OPEN_DAYS),
            }
        )
    if rows:
        table = sa.table(
            "citizen_questions",
            sa.column("phone_hash", sa.String()),
            sa.column("kind", sa.String()),
            sa.column("subject_id", sa.Integer()),
            sa.column("locale", sa.String()),
            sa.column("asked_at", sa.DateTime(timezone=True)),
            sa.column("open_until", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_citizen_questions_subject", table_name="citizen_questions")
    op.drop_index("ix_citizen_questions_open", table_name="citizen_questions")
    op.drop_table("citizen_questions")
