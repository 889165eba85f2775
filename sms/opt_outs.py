"""Who said STOP: phones kept only as keyed hashes (sahayata.privacy)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sahayata.privacy import phone_hash
from sms.models import OptOut


def opted_out(session: Session, phone: str) -> bool:
    return session.get(OptOut, phone_hash(phone)) is not None


def opted_out_among(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` sent STOP, in one query."""
    by_hash = {phone_hash(phone): phone for phone in set(phones)}
    if not by_hash:
        return set()
    found = session.scalars(select(OptOut.phone_hash).where(OptOut.phone_hash.in_(list(by_hash))))
    return {by_hash[hashed] for hashed in found}
