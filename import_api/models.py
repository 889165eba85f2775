"""Ministry systems' bearer tokens, and the trail of every import they posted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from foundation.clock import utcnow
from foundation.db import Base


class ApiToken(Base):
    """A ministry system's token: ``<selector>.<secret>``. The selector finds the row; only
    a hash of the secret is kept, compared in constant time. It writes its ministry's
    programmes, and citizens only where it was issued with that right (import_api.tokens)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    selector: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    ministry_code: Mapped[str] = mapped_column(ForeignKey("ministries.code"), index=True)
    may_import_citizens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    label: Mapped[str] = mapped_column(String(120), default="", server_default="")  # which system holds it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiImport(Base):
    """One import a token posted: who, when, which kind, how it ended and how many rows."""

    __tablename__ = "api_imports"
    __table_args__ = (Index("ix_api_imports_token_started", "token_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    ministry_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))  # as asked, so an unknown one is on record too
    outcome: Mapped[str] = mapped_column(String(32))  # imported, or the error code answered
    rows: Mapped[int] = mapped_column(default=0)
    problems: Mapped[int] = mapped_column(default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
