"""Outlets' bearer tokens: issued once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from foundation.db import connection_of
from foundation.hot_select import HotSelect
from registry.models import Outlet

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """sha256 is enough here (no slow hash): the token is 256 random bits, not a password."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, code: str) -> str | None:
    """A new token for the outlet CODE, replacing its old one; None for an unknown outlet.
    The caller shows it once: only its hash is stored. Commits."""
    outlet = session.scalars(select(Outlet).where(Outlet.code == code.strip().upper())).first()
    if outlet is None:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    outlet.token_hash = token_hash(token)
    session.commit()
    return token


def revoke_token(session: Session, code: str) -> bool:
    """The outlet CODE's app is locked out until a new token is issued (a lost phone, a
    dismissed dealer); False for an unknown outlet. Commits."""
    outlet = session.scalars(select(Outlet).where(Outlet.code == code.strip().upper())).first()
    if outlet is None:
        return False
    outlet.token_hash = None
    session.commit()
    return True


@dataclass(frozen=True)
class TokenOutlet:
    """The outlet an API call authenticates as: what the calls use of it, not the ORM row
    (every call looks it up, and nothing writes to it)."""

    id: int
    code: str
    operator_mobile: str
    name_en: str  # the names the beneficiary's SMS gives the outlet
    name_bn: str


# Every outlet API call starts with this look-up (foundation.hot_select).
_BY_TOKEN = HotSelect(
    select(Outlet.id, Outlet.code, Outlet.operator_mobile, Outlet.name_en, Outlet.name_bn)
    .where(Outlet.token_hash == bindparam("token_hash"))
    .limit(1),
    "token_hash",
)


MAX_TOKEN_LENGTH = 200


def outlet_by_token(session: Session, token: str) -> TokenOutlet | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return outlet_by_hash(session, token_hash(token))


def outlet_by_hash(session: Session, hashed: str) -> TokenOutlet | None:
    row = _BY_TOKEN.first(connection_of(session), token_hash=hashed)
    return TokenOutlet(*row) if row else None


class UnknownToken(Exception):
    """The token an API call presented is no outlet's (never issued, replaced or revoked)."""


@dataclass
class PresentedToken:
    """A bearer token an outlet app sent, checked by the call's first statement rather than
    by a look-up of its own: a start's wallet read and a confirm's lock join the outlets on
    the token's hash, one round trip fewer on every call. That statement, or the look-up a
    call makes when it finds nothing, fills in ``outlet``; the API reads it from there."""

    hash: str
    outlet: TokenOutlet | None = None

    @classmethod
    def of(cls, token: str) -> PresentedToken | None:
        """None for what cannot be a token (empty, or longer than any token issued)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        return cls(token_hash(token))

    def checked(self, session: Session) -> TokenOutlet:
        """The outlet, looked up if no statement has found it yet; UnknownToken if none."""
        if self.outlet is None:
            self.outlet = outlet_by_hash(session, self.hash)
            if self.outlet is None:
                raise UnknownToken()
        return self.outlet
