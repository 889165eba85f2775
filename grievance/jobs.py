"""RQ jobs of the grievance system: route, sweep the outbox, escalate on the SLA clock.

Every job is idempotent: it re-reads the row under a lock and does nothing if the work is
already done, so a retried or duplicated job (the sweeper may enqueue one twice) is safe.
"""

from __future__ import annotations

import datetime as dt
import logging

from redis.exceptions import RedisError
from sqlalchemy import func, select, update

from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status, utcnow
from grievance.routing import route_for
from grievance.sla import DHAKA, add_working_days, holidays, tier_limit
from grievance.status import change_status
from sahayata.db import transaction
from sahayata.jobs import SMS_QUEUE, enqueue, with_app_context

log = logging.getLogger(__name__)

OPEN = (Status.ROUTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.TRANSFERRED, Status.REOPENED, Status.APPEALED)
LAST_TIER = 3


def _mark_done(session, grievance_id: int, kind: str) -> None:
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.grievance_id == grievance_id, OutboxEntry.kind == kind, OutboxEntry.done_at.is_(None))
        .values(done_at=utcnow())
    )


@with_app_context
def route_grievance(grievance_id: int) -> str:
    """Route a received complaint to its ministry and office, and start its SLA clock; the
    citizen's SMS follows on the SMS queue."""
    outcome = _route(grievance_id)
    if outcome == "routed":
        dispatch([("notify_citizen", grievance_id)])
    return outcome


def _route(grievance_id: int) -> str:
    with transaction() as session:
        grievance = session.scalars(select(Grievance).where(Grievance.id == grievance_id).with_for_update()).first()
        if grievance is None:
            return "missing"
        if grievance.status is not Status.RECEIVED:
            _mark_done(session, grievance_id, "route_grievance")
            return "already routed"
        now = utcnow()
        route = route_for(session, grievance, now.astimezone(DHAKA).date())
        grievance.ministry_code = route.ministry_code
        grievance.office_level = route.office_level.value
        grievance.also_ministry_code = route.also_ministry_code
        grievance.cluster_code = route.cluster_code
        grievance.routed_at = now
        grievance.due_at = add_working_days(now, tier_limit(grievance.tier), holidays(session))
        note = f"to {route.ministry_code} ({route.office_level.value})"
        if route.also_ministry_code:
            note += f", also {route.also_ministry_code}"
        change_status(session, grievance, Status.ROUTED, "router", f"{note}: {route.reason}")
        _mark_done(session, grievance_id, "route_grievance")
    return "routed"


def _deliver(grievance_id: int) -> int:
    from sms.notifications import deliver_complaint_updates

    return deliver_complaint_updates(grievance_id)


HANDLERS = {"route_grievance": route_grievance, "notify_citizen": _deliver}
QUEUES = {"route_grievance": "default", "notify_citizen": SMS_QUEUE}


def dispatch(entries: list[tuple[str, int]]) -> int:
    """Enqueue the jobs for committed outbox entries ``(kind, grievance_id)``.

    Redis being down is not an error here: the entries stay pending and the sweeper
    enqueues them once Redis is back. Returns how many were enqueued.
    """
    enqueued = 0
    for kind, grievance_id in entries:
        handler = HANDLERS[kind]
        try:
            enqueue(handler, grievance_id, queue_name=QUEUES[kind])
            enqueued += 1
        except RedisError as exc:
            log.warning("outbox %s for grievance %s left to the sweeper: %s", kind, grievance_id, type(exc).__name__)
            break
    return enqueued


@with_app_context
def sweep_outbox(older_than_seconds: int = 30, limit: int = 1000) -> int:
    """Re-enqueue outbox work that is not done (lost to a Redis outage or a killed worker)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with transaction() as session:
        entries = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.done_at.is_(None), OutboxEntry.kind.in_(list(HANDLERS)))
            .where(OutboxEntry.created_at <= cutoff)
            .order_by(OutboxEntry.id)
            .limit(limit)
        ).all()
        for entry in entries:
            entry.attempts += 1
        work = [(entry.kind, entry.grievance_id) for entry in entries]
    return dispatch(work)


@with_app_context
def escalate_breached(now_iso: str | None = None) -> int:
    """Move every open complaint past its deadline up one tier, once, with a new deadline."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
    with transaction() as session:
        breached = session.scalars(
            select(Grievance)
            .where(Grievance.due_at < now, Grievance.status.in_(OPEN), Grievance.tier < LAST_TIER)
            .with_for_update(skip_locked=True)
        ).all()
        off = holidays(session)
        for grievance in breached:
            grievance.tier += 1
            grievance.due_at = add_working_days(now, tier_limit(grievance.tier), off)
            session.add(
                GrievanceEvent(
                    grievance=grievance,
                    actor="sla-clock",
                    from_status=grievance.status,
                    to_status=grievance.status,
                    note=f"deadline passed: escalated to tier {grievance.tier}",
                )
            )
        return len(breached)


UNCONFIRMED_AFTER_DAYS = 7


@with_app_context
def close_unconfirmed(now_iso: str | None = None, days: int = UNCONFIRMED_AFTER_DAYS) -> int:
    """Close, as unconfirmed, complaints marked resolved that the citizen has not answered
    ("was it resolved? 1 yes / 2 no") within ``days``; the citizen is told it is closed."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
    resolved_at = (
        select(GrievanceEvent.grievance_id, func.max(GrievanceEvent.at).label("at"))
        .where(GrievanceEvent.to_status == Status.RESOLVED)
        .group_by(GrievanceEvent.grievance_id)
        .subquery()
    )
    with transaction() as session:
        stale = session.scalars(
            select(Grievance)
            .join(resolved_at, resolved_at.c.grievance_id == Grievance.id)
            .where(Grievance.status == Status.RESOLVED, resolved_at.c.at < now - dt.timedelta(days=days))
            .with_for_update(of=Grievance, skip_locked=True)
        ).all()
        for grievance in stale:
            change_status(session, grievance, Status.CLOSED, "system", f"no answer in {days} days: closed unconfirmed")
        closed = [grievance.id for grievance in stale]
    dispatch([("notify_citizen", grievance_id) for grievance_id in closed])
    return len(closed)
