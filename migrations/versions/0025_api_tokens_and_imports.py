"""api_tokens for ministry systems, and api_imports: the trail of what they imported

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("ministry_code", sa.String(length=16), nullable=False),
        sa.Column("may_import_citizens", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("label", sa.String(length=120), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ministry_code"], ["ministries.code"], name=op.f("fk_api_tokens_ministry_code_ministries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("selector", name=op.f("uq_api_tokens_selector")),
    )
    op.create_index(op.f("ix_api_tokens_ministry_code"), "api_tokens", ["ministry_code"])
    op.create_table(
        "api_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("ministry_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], name=op.f("fk_api_imports_token_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_imports")),
    )
    op.create_index("ix_api_imports_token_started", "api_imports", ["token_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_api_imports_token_started", table_name="api_imports")
    op.drop_table("api_imports")
    op.drop_index(op.f("ix_api_tokens_ministry_code"), table_name="api_tokens")
    op.drop_table("api_tokens")
