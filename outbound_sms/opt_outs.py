"""Who said STOP: phones kept only as keyed hashes (foundation.privacy).

A STOP found under an earlier key is rewritten under the current one in the caller's
transaction, so that once every phone has been seen the earlier key can be dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from foundation.privacy import phone_hash, phone_hashes
from outbound_sms.models import OptOut

# Hashes per IN list: phones times accepted keys, kept well under SQLite's and
# PostgreSQL's limits on statement parameters.
MAX_HASHES_PER_QUERY = 5000


def opted_out(session: Session, phone: str) -> bool:
    return phone in opted_out_among(session, [phone])


def opted_out_among(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` sent STOP, under the current key or an earlier one."""
    by_hash = {hashed: phone for phone in set(phones) for hashed in phone_hashes(phone)}
    hashes = list(by_hash)
    found: dict[str, dt.datetime] = {}
    for start in range(0, len(hashes), MAX_HASHES_PER_QUERY):
        chunk = hashes[start : start + MAX_HASHES_PER_QUERY]
        rows = session.execute(select(OptOut.phone_hash, OptOut.created_at).where(OptOut.phone_hash.in_(chunk)))
        found.update({hashed: said_at for hashed, said_at in rows})
    current = {hashed: phone_hash(by_hash[hashed]) for hashed in found}
    _rewrite_under_current_key(session, {old: (new, found[old]) for old, new in current.items() if old != new})
    return {by_hash[hashed] for hashed in found}


def record_opt_out(session: Session, phone: str) -> None:
    """STOP: kept under the current key (an earlier key's row is rewritten)."""
    if not opted_out(session, phone):
        _insert_ignoring_twins(session, [{"phone_hash": phone_hash(phone), "created_at": utcnow()}])


def remove_opt_out(session: Session, phone: str) -> None:
    """START: forgets the STOP under every key."""
    session.execute(delete(OptOut).where(OptOut.phone_hash.in_(phone_hashes(phone))))


def _rewrite_under_current_key(session: Session, stale: dict[str, tuple[str, dt.datetime]]) -> None:
    """``stale`` maps an old hash to its current one and the moment STOP was said (kept)."""
    if not stale:
        return
    rows = {new: {"phone_hash": new, "created_at": said_at} for new, said_at in stale.values()}
    _insert_ignoring_twins(session, list(rows.values()))
    session.execute(delete(OptOut).where(OptOut.phone_hash.in_(list(stale))))


def _insert_ignoring_twins(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert these rows; one that another request inserted meanwhile is left as it is, and
    the transaction does not fail (two replies or senders may meet the same old row at once)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(OptOut.__table__).values(rows).on_conflict_do_nothing(index_elements=["phone_hash"]))
