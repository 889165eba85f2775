"""Outbound SMS messages: one row each, with its encoding, segment count and a forward-only status."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from foundation.clock import as_utc, utcnow
from foundation.db import Base, value_enum

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def message_reference(message_id: int, created_at: dt.datetime) -> str:
    micros = (as_utc(created_at) - EPOCH) // dt.timedelta(microseconds=1)
    return f"{message_id}.{micros}"


class MessageStatus(enum.StrEnum):
    CREATED = "created"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


class Message(Base):
    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_provider_id", "provider", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is for ("outbox:17", "campaign:3:+8801…"): unique, so the job that
    # creates it can run twice and one message still exists.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    phone: Mapped[str] = mapped_column(String(16))  # E.164; never logged in full
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8))
    template: Mapped[str | None] = mapped_column(String(40))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("sms_campaigns.id"), index=True)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(Integer)
    status: Mapped[MessageStatus] = mapped_column(
        value_enum(MessageStatus, "sms_status"), default=MessageStatus.CREATED
    )
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A sender holds the message until then; a crashed sender's claim lapses and another may retry.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    @property
    def reference(self) -> str:
        """What a provider may carry back to name this message: the id, plus when it was
        created, so that a receipt can never land on another message with a reused id."""
        return message_reference(self.id, self.created_at)


class OptOut(Base):
    """A phone that sent STOP: no alerts until it sends START. Kept as a keyed hash."""

    __tablename__ = "sms_opt_outs"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
