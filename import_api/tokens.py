"""Ministry systems' tokens: issued once, kept as a selector and a hash, checked in
constant time, revoked at once.

A token is ``<selector>.<secret>``: the selector (16 hex digits, not secret) finds the row,
the secret's sha256 is compared with ``hmac.compare_digest``. An unknown selector is
compared against a hash all the same, so the time a refusal takes does not tell a
guesser whether a selector exists.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from import_api.models import ApiToken
from registry.models import Ministry, Programme
from registry.outlets import token_hash

SELECTOR_BYTES = 8
SECRET_BYTES = 32
MAX_TOKEN_LENGTH = 200
# Compared against when no row matches, so an unknown selector costs a comparison too.
_NO_HASH = token_hash(secrets.token_urlsafe(SECRET_BYTES))


@dataclass(frozen=True)
class TokenHolder:
    """What a request authenticated as: the token, its ministry and what it may write."""

    id: int
    ministry_code: str
    may_import_citizens: bool
    programmes: frozenset[str]  # the programmes its ministry leads, the only ones it writes


def issue(session: Session, ministry_code: str, *, citizens: bool = False, label: str = "") -> tuple[int, str] | None:
    """A new token for the ministry: (its id, the token to show once); None for an unknown
    ministry. Only the secret's hash is stored. Commits."""
    code = ministry_code.strip().upper()
    if session.get(Ministry, code) is None:
        return None
    selector, secret = secrets.token_hex(SELECTOR_BYTES), secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        selector=selector,
        secret_hash=token_hash(secret),
        ministry_code=code,
        may_import_citizens=citizens,
        label=label.strip()[:120],
    )
    session.add(token)
    session.commit()
    return token.id, f"{selector}.{secret}"


def revoke(session: Session, token_id: int) -> bool:
    """The token stops working now; False if there is no such token. Commits."""
    token = session.get(ApiToken, token_id)
    if token is None:
        return False
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.commit()
    return True


def authenticate(session: Session, presented: str) -> TokenHolder | None:
    """The holder of a live token, or None for anything else, in about the same time."""
    selector, _, secret = presented.partition(".")
    row = None
    if secret and len(presented) <= MAX_TOKEN_LENGTH and len(selector) == 2 * SELECTOR_BYTES:
        row = session.execute(
            select(ApiToken.id, ApiToken.ministry_code, ApiToken.may_import_citizens, ApiToken.secret_hash).where(
                ApiToken.selector == selector, ApiToken.revoked_at.is_(None)
            )
        ).first()
    matches = hmac.compare_digest(row.secret_hash if row else _NO_HASH, token_hash(secret))
    if row is None or not matches:
        return None
    led = select(Programme.code).where(Programme.lead_ministry_code == row.ministry_code)
    programmes = frozenset(session.scalars(led))
    return TokenHolder(row.id, row.ministry_code, row.may_import_citizens, programmes)
