"""One import at a time per token: an import holds a database transaction (and a web
thread) for as long as it runs, so a system that posts many files at once gets 429 for
all but one instead of taking every thread and connection.

Two guards: within a process a set of the tokens importing now (this is what holds on
SQLite, which has no row locks), and across processes and nodes a lock on the token's
row for the import's transaction (PostgreSQL). The row lock is FOR NO KEY UPDATE SKIP
LOCKED: a second import finds no row and is told to wait, at once; the audit rows that
refer to the token (a KEY SHARE lock) are not held up by it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from import_api.models import ApiToken

_lock = threading.Lock()
_importing: set[int] = set()


@contextmanager
def import_slot(token_id: int) -> Iterator[bool]:
    """True while this process holds the token's one slot; False if it is taken."""
    with _lock:
        taken = token_id in _importing
        if not taken:
            _importing.add(token_id)
    try:
        yield not taken
    finally:
        if not taken:
            with _lock:
                _importing.discard(token_id)


def claim_token_row(session: Session, token_id: int) -> bool:
    """Lock the token's row for the session's transaction (its commit or rollback releases
    it); False if another transaction holds it. SQLite ignores the lock: True."""
    locked = session.execute(
        select(ApiToken.id).where(ApiToken.id == token_id).with_for_update(key_share=True, skip_locked=True)
    ).first()
    return locked is not None
