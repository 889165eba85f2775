"""rule_changes: who changed eligibility, routing or holiday rules, when, why and how;
eligibility rules in sets per programme with the day each set takes effect, and their source

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("difference", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_changes")),
    )
    with op.batch_alter_table("rule_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_changes_kind"), ["kind"], unique=False)
    # The rules a deployment holds now stay in force as they are: from the seed's first day.
    with op.batch_alter_table("eligibility_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_from", sa.Date(), server_default="2000-01-01", nullable=False))
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_eligibility_rules_programme_code_position", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_eligibility_rules_programme_code_effective_from_position"),
            ["programme_code", "effective_from", "position"],
        )


def downgrade() -> None:
    # Down keeps, per programme, the set in force at the time and forgets the others (a
    # schema without dates can hold one set only).
    op.execute(
        """
        DELETE FROM eligibility_rules
        WHERE effective_from <> COALESCE(
            (SELECT MAX(now_in_force.effective_from) FROM eligibility_rules AS now_in_force
             WHERE now_in_force.programme_code = eligibility_rules.programme_code
               AND now_in_force.effective_from <= CURRENT_DATE),
            (SELECT MIN(first_set.effective_from) FROM eligibility_rules AS first_set
             WHERE first_set.programme_code = eligibility_rules.programme_code)
        )
        """
    )
    with op.batch_alter_table("eligibility_rules", schema=None) as batch_op:
        batch_op.drop_constraint("uq_eligibility_rules_programme_code_effective_from_position", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_eligibility_rules_programme_code_position"), ["programme_code", "position"]
        )
        batch_op.drop_column("source")
        batch_op.drop_column("effective_from")
    with op.batch_alter_table("rule_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_changes_kind"))
    op.drop_table("rule_changes")
