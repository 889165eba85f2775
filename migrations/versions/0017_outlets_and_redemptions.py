"""outlets, e-token redemptions confirmed by the beneficiary, payment confirmations

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("food_dealer", "clinic", name="outlet_kind", native_enum=False, length=20, create_constraint=True),
            nullable=False,
        ),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("upazila_id", sa.Integer(), nullable=False),
        sa.Column("operator_mobile", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_outlets_district_id_districts")),
        sa.ForeignKeyConstraint(["upazila_id"], ["upazilas.id"], name=op.f("fk_outlets_upazila_id_upazilas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
        sa.UniqueConstraint("code", name=op.f("uq_outlets_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_outlets_token_hash")),
    )
    op.create_index(op.f("ix_outlets_operator_mobile"), "outlets", ["operator_mobile"])
    op.create_index(op.f("ix_outlets_upazila_id"), "outlets", ["upazila_id"])
    op.create_table(
        "outlet_programmes",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"], name=op.f("fk_outlet_programmes_outlet_id_outlets")),
        sa.ForeignKeyConstraint(
            ["programme_code"], ["programmes.code"], name=op.f("fk_outlet_programmes_programme_code_programmes")
        ),
        sa.PrimaryKeyConstraint("outlet_id", "programme_code", name=op.f("pk_outlet_programmes")),
    )
    status = sa.Enum(
        "awaiting_code",
        "completed",
        "refused",
        "cancelled",
        "expired",
        name="redemption_status",
        native_enum=False,
        length=20,
        create_constraint=True,
    )
    channel = sa.Enum("ussd", "sms", "api", name="redemption_channel", native_enum=False, length=20, create_constraint=True)
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("operator_mobile", sa.String(length=16), nullable=False),
        sa.Column("channel", channel, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("status", status, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_redemptions_quantity_positive")),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"], name=op.f("fk_redemptions_outlet_id_outlets")),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["etoken_wallets.id"], name=op.f("fk_redemptions_wallet_id_etoken_wallets")
        ),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_redemptions_citizen_id_citizens")),
        sa.ForeignKeyConstraint(
            ["programme_code"], ["programmes.code"], name=op.f("fk_redemptions_programme_code_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        sa.UniqueConstraint("outlet_id", "request_id", name=op.f("uq_redemptions_outlet_id_request_id")),
    )
    op.create_index(op.f("ix_redemptions_outlet_id"), "redemptions", ["outlet_id"])
    op.create_index(op.f("ix_redemptions_wallet_id"), "redemptions", ["wallet_id"])
    op.create_index(op.f("ix_redemptions_citizen_id"), "redemptions", ["citizen_id"])
    op.create_index(op.f("ix_redemptions_started_at"), "redemptions", ["started_at"])
    # At most one redemption awaits its code per wallet, whatever the concurrency.
    op.create_index(
        "uq_redemptions_one_pending_per_wallet",
        "redemptions",
        ["wallet_id"],
        unique=True,
        postgresql_where=sa.text("status = 'awaiting_code'"),
        sqlite_where=sa.text("status = 'awaiting_code'"),
    )
    op.create_table(
        "payment_confirmations",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_confirmations_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_payment_confirmations")),
    )
    op.create_index(op.f("ix_payment_confirmations_asked_at"), "payment_confirmations", ["asked_at"])
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("payment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("redemption_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_grievances_payment_id_payments"), "payments", ["payment_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_grievances_redemption_id_redemptions"), "redemptions", ["redemption_id"], ["id"]
        )
        batch.create_index(op.f("ix_grievances_payment_id"), ["payment_id"])
        batch.create_index(op.f("ix_grievances_redemption_id"), ["redemption_id"])
    with op.batch_alter_table("etoken_ledger") as batch:
        batch.add_column(sa.Column("outlet_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("operator_mobile", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("redemption_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_etoken_ledger_outlet_id_outlets"), "outlets", ["outlet_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_etoken_ledger_redemption_id_redemptions"), "redemptions", ["redemption_id"], ["id"]
        )
        batch.create_unique_constraint(op.f("uq_etoken_ledger_redemption_id"), ["redemption_id"])


def downgrade() -> None:
    with op.batch_alter_table("etoken_ledger") as batch:
        batch.drop_constraint(op.f("uq_etoken_ledger_redemption_id"), type_="unique")
        batch.drop_constraint(op.f("fk_etoken_ledger_redemption_id_redemptions"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_etoken_ledger_outlet_id_outlets"), type_="foreignkey")
        batch.drop_column("redemption_id")
        batch.drop_column("operator_mobile")
        batch.drop_column("outlet_id")
    with op.batch_alter_table("grievances") as batch:
        batch.drop_index(op.f("ix_grievances_redemption_id"))
        batch.drop_index(op.f("ix_grievances_payment_id"))
        batch.drop_constraint(op.f("fk_grievances_redemption_id_redemptions"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_grievances_payment_id_payments"), type_="foreignkey")
        batch.drop_column("redemption_id")
        batch.drop_column("payment_id")
    op.drop_index(op.f("ix_payment_confirmations_asked_at"), table_name="payment_confirmations")
    op.drop_table("payment_confirmations")
    op.drop_index("uq_redemptions_one_pending_per_wallet", table_name="redemptions")
    op.drop_table("redemptions")
    op.drop_table("outlet_programmes")
    op.drop_index(op.f("ix_outlets_upazila_id"), table_name="outlets")
    op.drop_index(op.f("ix_outlets_operator_mobile"), table_name="outlets")
    op.drop_table("outlets")
