"""Outlets' bearer tokens: issued once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def outlet_by_token(session: Session, token: str) -> Outlet | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(select(Outlet).where(Outlet.token_hash == token_hash(token))).first()
