"""The outbox's work, by kind: who does each kind of entry, on which queue, and the jobs that run it.

An outbox entry (grievance.models.OutboxEntry) is written in the transaction of the change
it follows. After commit, ``dispatch`` enqueues ``run_entry(kind, grievance_id)``, which
looks up the handler registered for the kind and calls it; ``sweep_outbox`` re-enqueues
what is not done. The composition root registers the handlers (grievance's own routing,
and the notices that tell the citizen), so the queue only ever names this module.

A handler is idempotent: it reads its pending entries afresh under a lock and marks them
done in the transaction that does their work, so a duplicated job finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from redis.client import Pipeline
from redis.exceptions import RedisError
from sqlalchemy import select

from foundation.db import transaction
from foundation.jobs import enqueue_together, redis_connection, with_app_context
from grievance.models import OutboxEntry, utcnow

log = logging.getLogger(__name__)

ROUTE_GRIEVANCE = "route_grievance"
NOTIFY_CITIZEN = "notify_citizen"
ASK_CITIZEN = "ask_citizen"  # an officer's question, payload {"question", "locale"}

Handler = Callable[[int], object]  # the complaint's id -> the job's result


@dataclass(frozen=True)
class Registration:
    handler: Handler
    queue: str
    # A new entry may ride on a job of this kind already waiting for the same complaint
    # (the "routed" SMS on the "received" SMS job): see ``dispatch``.
    rides_on_waiting_job: bool = False


class NoHandler(LookupError):
    """No handler is registered for an outbox kind in this app."""


def register(app: Flask, kind: str, handler: Handler, queue: str, *, rides_on_waiting_job: bool = False) -> None:
    """Have ``handler(grievance_id)`` do this app's outbox entries of ``kind``, on ``queue``."""
    registrations(app)[kind] = Registration(handler, queue, rides_on_waiting_job)


def registrations(app: Flask | None = None) -> dict[str, Registration]:
    return (app or current_app).extensions.setdefault("grievance.outbox", {})


# "A job for this complaint's entries of this kind is queued and has not started." The job
# clears it before its handler reads the outbox, so while it stands, that job will still
# see any entry committed now and a second job would find nothing to do. The expiry only
# bounds how long a lost job can make others wait for the sweeper.
QUEUED_MARK_SECONDS = 600


def queued_mark_key(kind: str, grievance_id: int) -> str:
    return f"grievance:{kind}-queued:{grievance_id}"


@with_app_context
def run_entry(kind: str, grievance_id: int) -> object:
    """The job of an outbox entry: clear its queued mark, then run the kind's handler."""
    registration = registrations().get(kind)
    if registration is None:
        # The job fails where it can be seen; the entry stays pending for a wired worker.
        raise NoHandler(f"no outbox handler for {kind!r} in this app")
    if registration.rides_on_waiting_job:
        # First, before the handler reads the outbox: from now on a new entry needs a job of its own.
        redis_connection().delete(queued_mark_key(kind, grievance_id))
    return registration.handler(grievance_id)


def dispatch(entries: Sequence[tuple[str, int]], *, coalesce: bool = False) -> int:
    """Enqueue the jobs for committed outbox entries ``(kind, grievance_id)``.

    With ``coalesce``, an entry of a kind that rides on a waiting job, whose complaint
    already has such a job waiting in the queue, rides on that job instead of queueing
    another: routing under a backlog then costs one Redis command, not an enqueue. The
    sweeper never coalesces.

    Redis being down is not an error here: the entries stay pending and the sweeper
    enqueues them once Redis is back. An entry of a kind with no handler in this app stays
    pending too. Returns how many were enqueued or coalesced.
    """
    known = registrations()
    work = [(kind, grievance_id) for kind, grievance_id in entries if kind in known]
    for kind in {kind for kind, _ in entries if kind not in known}:
        log.warning("no outbox handler for %r: its entries stay pending", kind)
    riding = [(kind, gid) for kind, gid in work if known[kind].rides_on_waiting_job]
    try:
        if coalesce:
            waiting = _mark_queued(riding)
            marks = None
        else:
            # Every entry gets its job: the marks ride in the enqueue's own transaction.
            waiting, marks = set(), functools.partial(_queue_marks, riding, coalesce=False)
        calls = [
            (run_entry, (kind, grievance_id), known[kind].queue)
            for kind, grievance_id in work
            if (kind, grievance_id) not in waiting
        ]
        enqueue_together(calls, marks)  # one round trip, all or none
    except RedisError as exc:
        log.warning("outbox work for %d complaints left to the sweeper: %s", len(work), type(exc).__name__)
        return 0
    return len(work)


def _queue_marks(entries: Sequence[tuple[str, int]], pipe: Pipeline, *, coalesce: bool) -> None:
    for kind, grievance_id in entries:
        pipe.set(queued_mark_key(kind, grievance_id), 1, ex=QUEUED_MARK_SECONDS, nx=coalesce)


def _mark_queued(entries: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
    """Set the queued mark of each entry's complaint where none stands (one round trip for
    all); returns the entries whose complaint already had one: they ride on its job."""
    if not entries:
        return set()
    with redis_connection().pipeline(transaction=False) as pipe:
        _queue_marks(entries, pipe, coalesce=True)
        newly_marked = pipe.execute()
    return {entry for entry, marked in zip(entries, newly_marked, strict=True) if not marked}


@with_app_context
def sweep_outbox(older_than_seconds: int = 30, limit: int = 1000) -> int:
    """Re-enqueue outbox work that is not done (lost to a Redis outage or a killed worker)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with transaction() as session:
        entries = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.done_at.is_(None), OutboxEntry.kind.in_(list(registrations())))
            .where(OutboxEntry.created_at <= cutoff)
            .order_by(OutboxEntry.id)
            .limit(limit)
        ).all()
        for entry in entries:
            entry.attempts += 1
        work = [(entry.kind, entry.grievance_id) for entry in entries]
    return dispatch(work)
