"""staff_users: session token and disabled flag; no per-account lockout

A new session token ends every session of the account at once; sign-in is throttled by
client address and account (in Redis) instead of the lockout anyone could trigger.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")

    # Each existing account gets its own random token (the sessions signed before this
    # revision carry no token and stop working, which is the point).
    connection = op.get_bind()
    for (staff_id,) in connection.execute(sa.text("SELECT id FROM staff_users")).all():
        connection.execute(
            sa.text("UPDATE staff_users SET session_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(24), "id": staff_id},
        )

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("session_token")

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("failed_logins", existing_type=sa.Integer(), server_default=None)
