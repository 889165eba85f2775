"""What citizens are told without asking: registry alerts and bulk campaigns, as rows written
before any SMS is made from them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from foundation.clock import utcnow
from foundation.db import Base, value_enum


class AlertKind(enum.StrEnum):
    PAYMENT_CREDITED = "payment_credited"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_RETURNED = "payment_returned"
    ETOKEN_CREDITED = "etoken_credited"


class Alert(Base):
    """A registry event the citizen must hear about, written in the import's own transaction
    (a transactional outbox): the import stays fast, and a crash after commit delays the
    SMS but loses none. A payment gets at most one alert of each kind."""

    __tablename__ = "sms_alerts"
    __table_args__ = (
        UniqueConstraint("payment_id", "kind"),
        UniqueConstraint("ledger_entry_id"),
        Index("ix_sms_alerts_pending", "done_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(value_enum(AlertKind, "sms_alert_kind"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("etoken_ledger.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Campaign(Base):
    """A bulk SMS to everyone a filter selects. Recipients are taken in citizen-id order and
    ``cursor`` (the last citizen given a message) is saved with each batch, so an interrupted
    campaign resumes where it stopped; each recipient's message has a unique dedupe key, so
    no one gets a second copy."""

    __tablename__ = "sms_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(40))
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    cycle: Mapped[str | None] = mapped_column(String(7))
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # opted out
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
