"""Typed SQLAlchemy models of the registry."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foundation.db import Base, value_enum
from registry.schedules import PaymentFrequency, PaymentSchedule, parse_schedule


class Gender(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"
    OTHER = "X"


class MaritalStatus(enum.StrEnum):
    NEVER_MARRIED = "never_married"
    MARRIED = "married"
    WIDOWED = "widowed"
    DIVORCED = "divorced"
    DESERTED = "deserted"


class Language(enum.StrEnum):
    BANGLA = "bn"
    ENGLISH = "en"


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXITED = "exited"


class PaymentChannel(enum.StrEnum):
    BKASH = "bkash"
    NAGAD = "nagad"
    ROCKET = "rocket"
    POST_OFFICE = "post_office"
    BANK = "bank"
    AGENT_BANKING = "agent_banking"


class PaymentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    CREDITED = "credited"
    FAILED = "failed"
    RETURNED = "returned"


class Cluster(Base):
    __tablename__ = "clusters"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_bn: Mapped[str] = mapped_column(String(120))
    coordinator_ministry_code: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)


class Ministry(Base):
    __tablename__ = "ministries"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(160))
    name_bn: Mapped[str] = mapped_column(String(160))


class BenefitUnit(enum.StrEnum):
    """Whom one enrolment serves: the person, or their whole household (a family ration card)."""

    PERSON = "person"
    HOUSEHOLD = "household"


class Office(Base):
    """An upazila office citizens go to (to enrol, after a failed payment); seed/offices.csv."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_bn: Mapped[str] = mapped_column(String(120))
    name_bn_latn: Mapped[str] = mapped_column(String(120))


class Programme(Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_bn: Mapped[str] = mapped_column(String(200))
    # Short names fit a USSD menu line (80 UTF-16 units a screen); romanized for ASCII gateways.
    short_name_en: Mapped[str] = mapped_column(String(40), server_default="")
    short_name_bn: Mapped[str] = mapped_column(String(40), server_default="")
    short_name_bn_latn: Mapped[str] = mapped_column(String(40), server_default="")
    lead_ministry_code: Mapped[str] = mapped_column(ForeignKey("ministries.code"))
    cluster_code: Mapped[str] = mapped_column(ForeignKey("clusters.code"))
    benefit_type: Mapped[str] = mapped_column(String(16))  # cash | etoken
    amount_bdt: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    unit: Mapped[str | None] = mapped_column(String(80))
    frequency: Mapped[str | None] = mapped_column(String(80))
    eligibility_summary: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # The order of every programme list (the seed file's), the same in every language.
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    office_code: Mapped[str | None] = mapped_column(ForeignKey("offices.code"))
    benefit_unit: Mapped[str] = mapped_column(String(16), server_default=BenefitUnit.PERSON.value)
    paid_to: Mapped[str | None] = mapped_column(String(16))  # "mother": paid to the child's mother
    # When it pays (registry.schedules): the frequency and the months paid in ("1,4,7,10").
    payment_frequency: Mapped[str] = mapped_column(String(16), server_default=PaymentFrequency.MONTHLY.value)
    payment_months: Mapped[str] = mapped_column(String(40), server_default="")

    lead_ministry: Mapped[Ministry] = relationship()
    office: Mapped[Office | None] = relationship()
    cluster: Mapped[Cluster] = relationship()
    rules: Mapped[list[EligibilityRule]] = relationship(
        order_by="[EligibilityRule.effective_from, EligibilityRule.position]", cascade="all, delete-orphan"
    )

    @property
    def payment_schedule(self) -> PaymentSchedule:
        return parse_schedule(self.payment_frequency, self.payment_months)


class EligibilityRule(Base):
    """One criterion of a programme's eligibility, e.g. ``age_min_by_gender {"M": 65, "F": 62}``.

    The criterion names a small fixed vocabulary of checks (registry.eligibility.criteria);
    which checks apply to a programme and with which thresholds is data.

    A programme's rules with the same ``effective_from`` are one set, in force from that
    day until the next set's (registry/rules_files.py imports and exports them).
    """

    __tablename__ = "eligibility_rules"
    __table_args__ = (UniqueConstraint("programme_code", "effective_from", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code", ondelete="CASCADE"))
    # The seed's rules are in force from 2000-01-01, like the seed's routing rules.
    effective_from: Mapped[dt.date] = mapped_column(Date, server_default="2000-01-01")
    position: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)  # where the threshold comes from


class Division(Base):
    __tablename__ = "divisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name_en: Mapped[str] = mapped_column(String(60))
    name_bn: Mapped[str] = mapped_column(String(60))


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"))
    name_en: Mapped[str] = mapped_column(String(60), unique=True)
    name_bn: Mapped[str] = mapped_column(String(60))

    division: Mapped[Division] = relationship()


class Upazila(Base):
    __tablename__ = "upazilas"
    # Upazila names repeat across districts (Kaliganj, Companiganj, ...): unique per district.
    __table_args__ = (UniqueConstraint("district_id", "name_en"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    name_en: Mapped[str] = mapped_column(String(60))
    name_bn: Mapped[str] = mapped_column(String(60))

    district: Mapped[District] = relationship()


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(40), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    monthly_income_bdt: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    land_decimal: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # 0-100, higher is more vulnerable; the breakdown lists each indicator's points so a
    # citizen or an auditor can see exactly why a household scored what it did.
    # Server defaults too: imports insert households in bulk and score them afterwards.
    vulnerability_score: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    vulnerability_breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    members: Mapped[list[Citizen]] = relationship(back_populates="household")


# Indexes that only PostgreSQL has, so the models leave them out (SQLite has no pg_trgm): the
# trigrams of the names' comparison keys that the staff search looks parts of names up by
# (migration 0026; staff/search.py).
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_citizens_name_en_key_trgm", "ix_citizens_name_bn_key_trgm"})


def in_the_models(obj: object, name: str | None, type_: str, reflected: bool, _compare_to: object) -> bool:
    """Alembic's ``include_object``: what comparing the models with a database looks at."""
    return not (type_ == "index" and reflected and name in POSTGRESQL_ONLY_INDEXES)


class Citizen(Base):
    __tablename__ = "citizens"
    # (mobile, id): USSD and SMS find "the earliest citizen with this phone" by it.
    __table_args__ = (Index("ix_citizens_mobile_id", "mobile", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nid: Mapped[str] = mapped_column(String(17), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_bn: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(value_enum(Gender, "gender"))
    mobile: Mapped[str | None] = mapped_column(String(16))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    upazila_id: Mapped[int] = mapped_column(ForeignKey("upazilas.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    disability: Mapped[bool] = mapped_column(default=False)
    marital_status: Mapped[MaritalStatus] = mapped_column(value_enum(MaritalStatus, "marital_status"))
    language: Mapped[Language] = mapped_column(value_enum(Language, "language"), default=Language.BANGLA)

    household: Mapped[Household] = relationship(back_populates="members")
    district: Mapped[District] = relationship()
    upazila: Mapped[Upazila] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="citizen")


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("citizen_id", "programme_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(value_enum(EnrolmentStatus, "enrolment_status"))
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    payment_channel: Mapped[PaymentChannel | None] = mapped_column(value_enum(PaymentChannel, "payment_channel"))
    account_number: Mapped[str | None] = mapped_column(String(34))

    citizen: Mapped[Citizen] = relationship(back_populates="enrolments")
    programme: Mapped[Programme] = relationship()


class Payment(Base):
    __tablename__ = "payments"
    # One payment per citizen, programme and cycle is the natural key imports upsert on;
    # the provider's transaction id is unique too, but a scheduled payment has none yet.
    __table_args__ = (
        UniqueConstraint("citizen_id", "programme_code", "cycle"),
        UniqueConstraint("txn_id"),
        Index("ix_payments_programme_cycle_status", "programme_code", "cycle", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    cycle: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_bdt: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[PaymentStatus] = mapped_column(value_enum(PaymentStatus, "payment_status"))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[PaymentChannel | None] = mapped_column(value_enum(PaymentChannel, "payment_channel"))
    txn_id: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(200))


class PaymentConfirmation(Base):
    """A beneficiary asked whether a payment marked credited reached them, and their answer:
    monitoring counts what reached people, not what the ministry's file says was paid."""

    __tablename__ = "payment_confirmations"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    received: Mapped[bool | None] = mapped_column()  # None until answered
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ETokenWallet(Base):
    """An e-token balance; it only changes through ledger entries (registry.etokens)."""

    __tablename__ = "etoken_wallets"
    __table_args__ = (
        UniqueConstraint("citizen_id", "programme_code"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    unit: Mapped[str] = mapped_column(String(40))
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    entries: Mapped[list[ETokenLedgerEntry]] = relationship(order_by="ETokenLedgerEntry.id")


class ETokenLedgerEntry(Base):
    __tablename__ = "etoken_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("etoken_wallets.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(40))  # import | redeem | credit | expire
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # A redemption's debit names where, by whom and which redemption (None for imports).
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    operator_mobile: Mapped[str | None] = mapped_column(String(16))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"), unique=True)


class OutletKind(enum.StrEnum):
    FOOD_DEALER = "food_dealer"
    CLINIC = "clinic"


class Outlet(Base):
    """A place that hands over what an e-token buys: a food dealer or a clinic. Its operator's
    registered phone starts redemptions; an outlet app authenticates with a bearer token whose
    hash alone is kept."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_bn: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OutletKind] = mapped_column(value_enum(OutletKind, "outlet_kind"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    upazila_id: Mapped[int] = mapped_column(ForeignKey("upazilas.id"), index=True)
    operator_mobile: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    district: Mapped[District] = relationship()
    upazila: Mapped[Upazila] = relationship()
    programmes: Mapped[list[OutletProgramme]] = relationship(cascade="all, delete-orphan")


class OutletProgramme(Base):
    """An outlet serves only the programmes listed for it."""

    __tablename__ = "outlet_programmes"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), primary_key=True)
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"), primary_key=True)


class RedemptionStatus(enum.StrEnum):
    AWAITING_CODE = "awaiting_code"  # started by the operator; the beneficiary has the code
    COMPLETED = "completed"  # the code was entered (or the beneficiary confirmed): debited
    REFUSED = "refused"  # the beneficiary said no
    CANCELLED = "cancelled"  # three wrong codes
    EXPIRED = "expired"  # the code's ten minutes passed


class RedemptionChannel(enum.StrEnum):
    USSD = "ussd"
    SMS = "sms"
    API = "api"


class Redemption(Base):
    """One hand-over of goods or a service against an e-token wallet, confirmed by the
    beneficiary's code. At most one awaits its code per wallet (a partial unique index)."""

    __tablename__ = "redemptions"
    __table_args__ = (
        UniqueConstraint("outlet_id", "request_id"),
        Index(
            "uq_redemptions_one_pending_per_wallet",
            "wallet_id",
            unique=True,
            postgresql_where=text("status = 'awaiting_code'"),
            sqlite_where=text("status = 'awaiting_code'"),
        ),
        # Every start sums the wrong codes typed at its outlet in the last hour: only the
        # redemptions with one are in this index, so a busy dealer's hour of right codes is
        # never read (registry/redemptions.py, _candidates_of).
        Index(
            "ix_redemptions_outlet_wrong_codes",
            "outlet_id",
            "started_at",
            postgresql_where=text("wrong_codes > 0"),
            sqlite_where=text("wrong_codes > 0"),
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("etoken_wallets.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(40))
    operator_mobile: Mapped[str] = mapped_column(String(16))
    channel: Mapped[RedemptionChannel] = mapped_column(value_enum(RedemptionChannel, "redemption_channel"))
    request_id: Mapped[str | None] = mapped_column(String(64))  # an outlet app's idempotency key
    status: Mapped[RedemptionStatus] = mapped_column(
        value_enum(RedemptionStatus, "redemption_status"), default=RedemptionStatus.AWAITING_CODE
    )
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC of the 6-digit code, never the code
    code_expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    outlet: Mapped[Outlet] = relationship()
    wallet: Mapped[ETokenWallet] = relationship()
