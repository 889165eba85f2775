"""Staff sign-in and sessions.

Passwords are scrypt hashes. Sign-in answers one message, after the same work, whether the
email is unknown, the password wrong or the account disabled, so the page tells nobody which
emails exist. Failures are throttled per client address and account together (in Redis), so
an attacker slows only themselves and cannot lock an officer out from elsewhere.

A session names its account's session token (StaffUser.get_id), so a new token ends every
session and remember-me cookie of the account at once; a session idle for longer than
SAHAYATA_STAFF_IDLE_MINUTES is signed out.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import unicodedata
from dataclasses import dataclass

from flask import Flask, current_app, flash, request
from flask import session as browser_session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_NAME
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from foundation.clock import utcnow
from foundation.config import is_production
from foundation.db import db_session
from foundation.i18n import format_number
from foundation.jobs import redis_connection
from staff.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from staff.models import StaffAudit, StaffUser

MIN_PASSWORD_LENGTH = 12
THROTTLE_WINDOW_SECONDS = 15 * 60
# Failed sign-ins per (client address, email) in a window; the next one answers 429.
FAILURES_PER_ADDRESS_AND_ACCOUNT = 5
# Looser, per address over all emails: one address trying a few passwords on many accounts.
# High enough that an office behind one NAT address is not stopped by its own typing errors.
FAILURES_PER_ADDRESS = 100
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
_DEMO_EMAILS = frozenset(email for email, *_rest in DEMO_ACCOUNTS)
# The session key holding the last time (Unix seconds) the session was used.
_LAST_SEEN = "staff_seen"
# The stamp is rewritten at most this often, so a busy page does not re-sign its cookie each time.
_LAST_SEEN_RESOLUTION = 60


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if has_control_characters(password):
        raise ValueError("a password may not contain control characters (NUL, tab, new line)")
    return generate_password_hash(password, method="scrypt")


def has_control_characters(text: str) -> bool:
    """Twelve NUL bytes are twelve characters, but no one can type them at a sign-in."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_account(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email)))


class LoginThrottle:
    """Failed sign-ins counted in Redis per (address, email) and per address, each in a
    fixed 15-minute window that starts with its first failure. The email need not exist: an
    unknown one is counted the same, so a 429 tells nothing either."""

    def __init__(self, redis: Redis, address: str | None, email: str) -> None:
        address = address or "unknown"
        pair = hashlib.sha256(f"{address}\n{normalise_email(email)}".encode()).hexdigest()
        self.redis = redis
        self.limits = (
            (f"staff:login-failures:pair:{pair}", FAILURES_PER_ADDRESS_AND_ACCOUNT),
            (f"staff:login-failures:address:{address}", FAILURES_PER_ADDRESS),
        )

    def begin(self) -> int:
        """Count this attempt before its password is checked; the seconds to wait if it is
        over a limit (then the password must not be checked), else 0.

        Counting first, in one atomic step per key, is what holds the limit under concurrent
        tries: a check-then-count would let every try in flight past the limit."""
        pipe = self.redis.pipeline(transaction=True)
        for key, _limit in self.limits:
            pipe.set(key, 0, ex=THROTTLE_WINDOW_SECONDS, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
        replies = pipe.execute()
        counts, ttls = replies[1::3], replies[2::3]
        waits = [
            max(int(ttl), 1)
            for count, ttl, (_key, limit) in zip(counts, ttls, self.limits, strict=True)
            if int(count) > limit
        ]
        return max(waits, default=0)

    def succeeded(self) -> None:
        """A right password: its (address, email) count starts again, and this attempt no
        longer counts against the address."""
        address_key = self.limits[1][0]
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.limits[0][0])
        pipe.decr(address_key)
        # Had the window ended since begin(), DECR made a fresh key without an expiry.
        pipe.expire(address_key, THROTTLE_WINDOW_SECONDS, nx=True)
        pipe.execute()


def throttle_for(address: str | None, email: str) -> LoginThrottle:
    return LoginThrottle(redis_connection(), address, email)


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    # Seconds to wait before trying again; the password was not even checked.
    retry_after: int = 0


def _is_demo(email: str, password: str) -> bool:
    """A demo account, or any account whose password is the public demo password."""
    return normalise_email(email) in _DEMO_EMAILS or hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode())


def _refusal(user: StaffUser | None, password_ok: bool, email: str, password: str) -> str | None:
    """Why a sign-in is refused (an audit action), or None to let it in."""
    if user is None or not password_ok:
        return "login_failed"
    if not user.is_active:
        return "login_refused_disabled"
    if is_production(current_app.config) and _is_demo(email, password):
        return "login_refused_demo"
    return None


def authenticate(session: Session, email: str, password: str, address: str | None) -> SignIn:
    """Check a sign-in from this client address. Every refusal costs one scrypt check, one
    audit row and one throttle count, whichever the reason. Commits."""
    throttle = throttle_for(address, email)
    wait = throttle.begin()
    if wait:
        session.add(StaffAudit(staff_id=None, action="login_throttled", detail={"address": address}))
        session.commit()
        return SignIn(None, retry_after=wait)
    user = find_account(session, email)
    password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    refusal = _refusal(user, password_ok, email, password)
    if refusal is None:
        assert user is not None
        throttle.succeeded()
        user.last_login_at = utcnow()
        session.add(StaffAudit(staff_id=user.id, action="login", detail={"address": address}))
        session.commit()
        return SignIn(user)
    session.add(StaffAudit(staff_id=user.id if user else None, action=refusal, detail={"address": address}))
    session.commit()
    return SignIn(None)


def start_session(user: StaffUser) -> None:
    """Sign this browser in (never remembered past the browser session) and start its idle clock."""
    login_user(user, remember=False)
    browser_session[_LAST_SEEN] = int(time.time())


def sign_out_everywhere(session: Session, user: StaffUser) -> None:
    """Sign-out ends every session of the account, including cookies copied from this one."""
    user.revoke_sessions()
    session.add(StaffAudit(staff_id=user.id, action="logout"))
    session.commit()
    logout_user()


def set_password(session: Session, user: StaffUser, password: str, action: str) -> None:
    """A new password ends every session of the account. Raises ValueError when too short. Commits."""
    user.password_hash = hash_password(password)
    user.revoke_sessions()
    session.add(StaffAudit(staff_id=user.id, action=action))
    session.commit()


@dataclass(frozen=True)
class PasswordChange:
    error: str | None = None
    retry_after: int = 0


def change_own_password(
    session: Session, user: StaffUser, current: str, new: str, again: str, address: str | None
) -> PasswordChange:
    """The staff page's change: the current password (throttled like a sign-in), then the new
    one twice. On success every session ends; the caller signs this browser in again."""
    throttle = throttle_for(address, user.email)
    wait = throttle.begin()
    if wait:
        return PasswordChange(_("Too many failed attempts. Wait 15 minutes and try again."), wait)
    if not check_password_hash(user.password_hash, current):
        session.add(StaffAudit(staff_id=user.id, action="password_change_failed", detail={"address": address}))
        session.commit()
        return PasswordChange(_("The current password is wrong."))
    throttle.succeeded()
    if len(new) < MIN_PASSWORD_LENGTH:
        count = format_number(MIN_PASSWORD_LENGTH, str(get_locale()))  # ১২ on a Bangla page
        return PasswordChange(_("The new password needs at least %(count)s characters.", count=count))
    if has_control_characters(new):
        return PasswordChange(_("The new password may not contain control characters."))
    if new != again:
        return PasswordChange(_("The two new passwords differ."))
    set_password(session, user, new, "password_changed")
    return PasswordChange()


def _load_user(user_id: str) -> StaffUser | None:
    """The account a session or remember-me cookie names, if its token is still the
    account's and the account is not disabled."""
    staff_id, _sep, token = user_id.partition(":")
    if not (staff_id.isascii() and staff_id.isdigit() and token):
        return None  # also every session signed before tokens existed
    user = db_session().get(StaffUser, int(staff_id))
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(user.session_token.encode(), token.encode()) else None


def _end_idle_session() -> None:
    """Sign out a session unused for longer than the idle lifetime. A session without a
    stamp was not made by start_session (a remember-me cookie, which sign-in never sets):
    it is signed out too."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_NAME)
    if "_user_id" not in browser_session and remember_cookie not in request.cookies:
        return  # nobody to sign out; loading nobody would also upset Flask-Login's session protection
    if not current_user.is_authenticated:
        return
    now = int(time.time())
    seen = browser_session.get(_LAST_SEEN)
    idle_limit = int(current_app.config.get("SAHAYATA_STAFF_IDLE_MINUTES", 480)) * 60
    if not isinstance(seen, int) or now - seen > idle_limit:
        logout_user()
        browser_session.pop(_LAST_SEEN, None)
        flash(_("You were signed out after a long time without activity. Sign in again."))
    elif now - seen >= _LAST_SEEN_RESOLUTION:
        browser_session[_LAST_SEEN] = now


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    # Before the view's login_required, so an idle session meets the sign-in page.
    app.before_request_funcs.setdefault("staff", []).append(_end_idle_session)
    manager.login_view = "staff.login"
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
