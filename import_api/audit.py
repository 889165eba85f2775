"""The trail of imports: who (token and ministry), when, which kind, how it ended, how many
rows. Written in its own transaction once the import has committed or rolled back, so a
refused import is on record too. It only inserts: the token's row may be locked by an
import that is running (import_api.slots), and a refusal must not wait for it."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from foundation.clock import utcnow
from import_api.models import ApiImport
from import_api.tokens import TokenHolder

log = logging.getLogger(__name__)
KIND_LENGTH = 40


def record(
    session: Session,
    holder: TokenHolder,
    kind: str,
    outcome: str,
    started_at: dt.datetime,
    *,
    rows: int = 0,
    problems: int = 0,
    size: int = 0,
    counts: dict[str, int] | None = None,
) -> None:
    now = utcnow()
    session.rollback()  # whatever the request left open; the import has already ended
    session.add(
        ApiImport(
            token_id=holder.id,
            ministry_code=holder.ministry_code,
            kind=kind[:KIND_LENGTH],
            outcome=outcome,
            rows=rows,
            problems=problems,
            bytes=size,
            counts=counts or {},
            started_at=started_at,
            finished_at=now,
        )
    )
    session.commit()
    log.info(
        "import API: token %s (%s) %s %s: %s, %s row(s), %s problem(s), %s byte(s)",
        holder.id,
        holder.ministry_code,
        "posted",
        kind[:KIND_LENGTH],
        outcome,
        rows,
        problems,
        size,
    )
