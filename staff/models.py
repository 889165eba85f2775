"""Staff accounts and their audit trail."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from foundation.clock import utcnow
from foundation.db import Base, value_enum


class Role(enum.StrEnum):
    OFFICER = "officer"  # own ministry's queue, optionally some districts or upazilas only
    GRO = "gro"  # grievance redress officer: own ministry, escalated and sensitive cases
    COORDINATOR = "coordinator"  # read-only across the ministries of one cluster
    MONITORING = "monitoring"  # aggregates everywhere, no personal data
    ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(value_enum(Role, "staff_role"))
    ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"))
    cluster_code: Mapped[str | None] = mapped_column(ForeignKey("clusters.code"))
    # An officer limited to places (staff.scope.visible says what each limit covers); both
    # empty means the whole ministry.
    district_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    upazila_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="bn")
    # Part of every session and remember-me cookie of this account (get_id); a new token
    # signs out everywhere at once: sign-out, a password change, disabling the account.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # A disabled account cannot sign in and its sessions stop working.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The daily digest by SMS, for those who asked for it (`staff digest-sms`): their work
    # mobile (E.164; shown masked, never logged in full) and whether to send it there.
    phone: Mapped[str | None] = mapped_column(String(16))
    digest_by_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def revoke_sessions(self) -> None:
        """Every cookie that names the old token, copied or not, stops working."""
        self.session_token = new_session_token()


class StaffAudit(Base):
    """Who did what, when: logins, reveals of a phone number, every action on a case."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_grievance", "grievance_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
