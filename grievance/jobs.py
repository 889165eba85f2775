"""RQ jobs of the grievance system: route, escalate on the SLA clock (the outbox's own jobs
are in grievance.outbox).

Every job is idempotent: it re-reads the row under a lock and does nothing if the work is
already done, so a retried or duplicated job (the sweeper may enqueue one twice) is safe.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Select, bindparam, exists, func, literal, select, update

from foundation.db import autocommit_scalar, transaction
from foundation.jobs import with_app_context
from foundation.metrics import SLA_BREACHES
from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status, utcnow
from grievance.outbox import dispatch
from grievance.routing import route_for
from grievance.sla import DHAKA, add_working_days, holidays, tier_limit
from grievance.status import LAST_TIER, OPEN, change_status, escalate

log = logging.getLogger(__name__)


_OUTBOX = OutboxEntry.__table__


def _mark_done(session, grievance_ids: list[int], kind: str) -> None:
    # On the table, not through the ORM: no loaded entry needs refreshing (the jobs read
    # entries afresh under a lock), and the ORM's bulk-update bookkeeping costs more than
    # the statement.
    session.connection().execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.grievance_id.in_(grievance_ids), _OUTBOX.c.kind == kind, _OUTBOX.c.done_at.is_(None))
        .values(done_at=utcnow())
    )


# Is this complaint's routing still to do? Under a backlog most routing jobs find their
# complaint already routed in an earlier job's batch: they must cost one cheap read, not a
# lock, an update and a commit. A done entry never becomes pending again.
_ROUTING_PENDING = select(
    exists().where(
        _OUTBOX.c.grievance_id == Grievance.id, _OUTBOX.c.kind == "route_grievance", _OUTBOX.c.done_at.is_(None)
    )
).where(Grievance.id == bindparam("grievance_id"))


# How many waiting complaints one routing job takes with its own. With no backlog a job
# routes just its own; under a backlog it routes up to this many in one transaction, and
# the jobs of the others then find theirs done. Small enough to hold the locks briefly.
ROUTE_BATCH = 50


def others_waiting(grievance_id: int) -> Select:
    """The oldest complaints still waiting to be routed besides ``grievance_id``, locked,
    skipping those another worker's batch holds. The status is written into the SQL, not
    bound: the driver prepares a statement a worker runs often, and PostgreSQL's generic plan
    for it can use the partial index of waiting complaints (ix_grievances_waiting) only when
    the statement itself says 'received'."""
    received = literal(Status.RECEIVED, Grievance.status.type, literal_execute=True)
    return (
        select(Grievance)
        .where(Grievance.status == received, Grievance.id != grievance_id)
        .order_by(Grievance.id)
        .limit(ROUTE_BATCH - 1)
        .with_for_update(skip_locked=True)
    )


@with_app_context
def route_grievance(grievance_id: int) -> str:
    """Route a received complaint to its ministry and office, and start its SLA clock (with
    other complaints waiting behind it, when there is a backlog); the citizens' SMS follow
    on the SMS queue."""
    outcome, routed = _route(grievance_id)
    dispatch([("notify_citizen", routed_id) for routed_id in routed], coalesce=True)
    return outcome


def _route(grievance_id: int) -> tuple[str, list[int]]:
    """Returns the outcome for this complaint and the ids of every complaint it routed."""
    pending = autocommit_scalar(_ROUTING_PENDING, {"grievance_id": grievance_id})
    if pending is None:
        return "missing", []
    if not pending:
        return "already routed", []
    with transaction() as session:
        # SKIP LOCKED: a complaint locked by another worker is being routed in its batch.
        grievance = session.scalars(
            select(Grievance).where(Grievance.id == grievance_id).with_for_update(skip_locked=True)
        ).first()
        if grievance is None:  # it exists (see above): another job holds it in its batch
            return "being routed", []
        if grievance.status is not Status.RECEIVED:
            _mark_done(session, [grievance_id], "route_grievance")
            return "already routed", []
        waiting = session.scalars(others_waiting(grievance_id)).all()
        batch = [grievance, *waiting]
        now = utcnow()
        off = holidays(session)
        for each in batch:
            _route_one(session, each, now, off)
        routed = [each.id for each in batch]
        _mark_done(session, routed, "route_grievance")
    return "routed", routed


def _route_one(session, grievance: Grievance, now: dt.datetime, off: frozenset[dt.date]) -> None:
    route = route_for(session, grievance, now.astimezone(DHAKA).date())
    grievance.ministry_code = route.ministry_code
    grievance.office_level = route.office_level.value
    grievance.also_ministry_code = route.also_ministry_code
    grievance.cluster_code = route.cluster_code
    grievance.routed_at = now
    grievance.sla_started_at = now
    grievance.due_at = add_working_days(now, tier_limit(grievance.tier), off)
    note = f"to {route.ministry_code} ({route.office_level.value})"
    if route.also_ministry_code:
        note += f", also {route.also_ministry_code}"
    change_status(session, grievance, Status.ROUTED, "router", f"{note}: {route.reason}")


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
        tiers = [grievance.tier for grievance in breached]
        for grievance in breached:
            escalate(session, grievance, now, off)
    for tier in tiers:  # once committed: a rolled-back escalation breached nothing new
        SLA_BREACHES.labels(str(tier)).inc()
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
    dispatch([("notify_citizen", grievance_id) for grievance_id in closed], coalesce=True)
    return len(closed)
