"""Staff sign-in: scrypt password hashes, lockout after repeated failures, Flask-Login sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask
from flask_login import LoginManager
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from sahayata.clock import as_utc, utcnow
from sahayata.db import db_session
from staff.models import StaffAudit, StaffUser

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    locked: bool = False


def authenticate(session: Session, email: str, password: str) -> SignIn:
    """Check a sign-in, counting failures; the 5th failure in a row locks the account for
    15 minutes, during which even the right password is refused. Commits."""
    user = session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return SignIn(None)
    now = utcnow()
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        session.add(StaffAudit(staff_id=user.id, action="login_refused_locked"))
        session.commit()
        return SignIn(None, locked=True)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        session.add(StaffAudit(staff_id=user.id, action="login_locked" if locked else "login_failed"))
        session.commit()
        return SignIn(None, locked=locked)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    session.add(StaffAudit(staff_id=user.id, action="login"))
    session.commit()
    return SignIn(user)


def init_app(app: Flask) -> None:
    app_hooks = app.after_request_funcs[None]
    before = list(app_hooks)
    manager = LoginManager(app)
    # Flask-Login refreshes its remember-me cookie after every request of the app, and in
    # doing so reads the session (and marks the response Vary: Cookie). Only staff pages sign
    # in or out; on each USSD hop or SMS webhook the hook cost about 8 µs for nothing. It
    # runs for the staff blueprint alone.
    added = [hook for hook in app_hooks if hook not in before]
    app_hooks[:] = before
    app.after_request_funcs.setdefault("staff", []).extend(added)
    manager.login_view = "staff.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str) -> StaffUser | None:
        return db_session().get(StaffUser, int(user_id)) if user_id.isdigit() else None
