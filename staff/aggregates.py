"""The dashboards' figures, computed ahead of the page and kept in the database.

A page view reads its scope's stored rows and nothing of the registry: the big tables are
scanned by the refresh jobs, once for every scope together, not by each page view and not
again by each web worker. This module stores, reads and schedules them; the grouped queries
are staff/aggregate_queries.py.

Why tables the jobs rewrite, and not counters kept current by the jobs that change the data:
- Write cost. Counters would be written by every complaint filed on USSD, every routing and
  status change, every payment import batch and every redemption, in the same transaction,
  on rows shared by a whole ministry: a payday's filings and a 5,000-row import batch would
  queue on the same counter rows. A refresh costs a few grouped scans, whatever the rate of
  writes, and nothing on the paths citizens wait on.
- Correctness. Many figures move with the clock, not with a write: a case becomes overdue at
  midnight, the weekly trend and the 6-month resolution window slide. Those need a periodic
  job anyway, and a figure recomputed from the source cannot drift from it; counters
  maintained in a dozen places can, silently.
- One way for both databases. PostgreSQL's materialized views would give the same freshness
  (REFRESH rewrites the whole view too), but SQLite, the embedded mode, has none; a plain
  table rewritten by a job is the same code on both, and readers keep seeing the previous
  figures until the job commits.

Two parts, refreshed apart, because they change at different speeds and cost differently:
- ACTIVITY (complaints, redemptions, payment confirmations, USSD counters, the calendar
  banner, and open data's per-district signals) changes by the minute: the scheduler
  refreshes it every REFRESH_SECONDS.
- REGISTRY (beneficiaries per district, payment failure rates) changes only when an import
  commits, and costs the most (enrolments joined to citizens, every payment): it is
  refreshed by a job each import enqueues as it commits (``registry_changed``, wired in
  sahayata/wiring.py), and by the scheduler's run when older than REGISTRY_SECONDS, in case
  a hook's job was lost.
So after an import a ministry sees its new beneficiaries and failure rates as soon as that
one job has run (seconds at demo scale, under a minute nationally), and the page says so:
every figure carries the time of its part ("as of 10:42", Dhaka time).

Who refreshes where there is no scheduler (embedded mode, `make run`, no REDIS_URL): jobs run
inline, so an import refreshes the registry part as it commits, and a page view finding
figures older than their interval refreshes them first (``board_for_page``); at demo scale
that is a fraction of a second. In either mode a database never refreshed is refreshed by
its first dashboard view, so a fresh deployment's dashboard is not empty until the first run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import JSON, DateTime, String, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from foundation.clock import as_utc, utcnow
from foundation.db import Base, db_session
from foundation.jobs import enqueue, jobs_run_inline, redis_connection, with_app_context
from monitoring.opendata import district_aggregates
from staff.aggregate_queries import compute
from staff.dashboards import ACTIVITY, PARTS, REGISTRY, Dashboard, Scope, min_denominator
from staff.opendata.publish import SUPPRESS_BELOW

REFRESH_SECONDS = 300  # the activity part, by the scheduler
REGISTRY_SECONDS = 3600  # the registry part at the latest, should an import's job be lost
MAX_AGE = {ACTIVITY: REFRESH_SECONDS, REGISTRY: REGISTRY_SECONDS}
# Set while a registry refresh waits in the queue, so that an import of four files (citizens,
# enrolments, payments, e-tokens) queues one refresh, not four; the job clears it as it starts.
REGISTRY_QUEUED_KEY = "staff:dashboards:registry-refresh-queued"
# Open data's per-district signals (staff/opendata) are activity too, public, and recounted
# with it: a download reads this row instead of scanning redemptions and confirmations.
OPEN_DATA_SIGNALS = "open-data:signals"
SIGNALS_FORMAT = 1


class DashboardFigures(Base):
    """One part of one scope's figures ("all", "ministry:MOSW", "cluster:SA"; ACTIVITY or
    REGISTRY) as of ``as_of``: the counts of staff.dashboards.Dashboard as JSON, replaced
    whole by each refresh of that part."""

    __tablename__ = "dashboard_figures"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    figures: Mapped[dict] = mapped_column(JSON)


# -- reading -----------------------------------------------------------------------------------
def read(session: Session, scope: Scope) -> Dashboard | None:
    """The stored figures of ``scope``; None unless both parts are there, in this version's shape."""
    rows = session.execute(
        select(DashboardFigures.part, DashboardFigures.as_of, DashboardFigures.figures).where(
            DashboardFigures.scope == scope.key
        )
    ).all()
    return Dashboard.from_parts(scope, {part: (as_utc(at), figures) for part, at, figures in rows})


def board_for_page(session: Session, scope: Scope, now: dt.datetime | None = None) -> Dashboard:
    """The stored figures; refreshed first if there are none (or none this version can read),
    and in embedded mode the parts older than their interval (nothing else refreshes them)."""
    board = read(session, scope)
    now = now or utcnow()
    if board is None:
        refresh(session, now=now)
    elif jobs_run_inline():
        ages = {ACTIVITY: board.as_of, REGISTRY: board.registry_as_of or board.as_of}
        stale = [part for part in PARTS if now - ages[part] > dt.timedelta(seconds=MAX_AGE[part])]
        if not stale:
            return board
        refresh(session, now=now, parts=stale)
    else:
        return board
    return read(session, scope) or Dashboard(scope, now, now)  # a scope added since: nothing counted yet


def signal_rows(session: Session) -> tuple[dt.datetime, list[tuple]]:
    """(as of, rows of monitoring.opendata.district_aggregates) as last recounted; recounted
    first if never (a fresh database's first download), or in embedded mode if older than
    REFRESH_SECONDS, as ``board_for_page`` does."""
    query = select(DashboardFigures.as_of, DashboardFigures.figures).where(
        DashboardFigures.scope == OPEN_DATA_SIGNALS, DashboardFigures.part == ACTIVITY
    )
    row = session.execute(query).first()
    now = utcnow()
    fresh = row is not None and row.figures.get("format") == SIGNALS_FORMAT
    if not fresh or (jobs_run_inline() and now - as_utc(row.as_of) > dt.timedelta(seconds=REFRESH_SECONDS)):
        refresh(session, now=now, parts=(ACTIVITY,))
        row = session.execute(query).one()
    return as_utc(row.as_of), [tuple(cells) for cells in row.figures["rows"]]


# -- refreshing --------------------------------------------------------------------------------
@with_app_context
def refresh_job() -> str:
    """The scheduler's job: the activity part, and the registry part too if it is older than
    REGISTRY_SECONDS (its import's job lost) or missing."""
    session = db_session()
    now = utcnow()
    oldest = session.scalar(select(func.min(DashboardFigures.as_of)).where(DashboardFigures.part == REGISTRY))
    due = oldest is None or now - as_utc(oldest) > dt.timedelta(seconds=REGISTRY_SECONDS)
    return refresh(session, now=now, parts=PARTS if due else (ACTIVITY,)).isoformat()


@with_app_context
def refresh_registry_job() -> str:
    """The job an import enqueues as it commits: the registry part, now."""
    redis_connection().delete(REGISTRY_QUEUED_KEY)
    return refresh(db_session(), parts=(REGISTRY,)).isoformat()


def registry_changed(_recorded: Sequence[int] = ()) -> None:
    """An import committed (registry.events' ``import_committed``): refresh the registry part
    soon, once however many imports commit before the job starts."""
    if jobs_run_inline() or redis_connection().set(REGISTRY_QUEUED_KEY, "1", nx=True, ex=REGISTRY_SECONDS):
        enqueue(refresh_registry_job)


def refresh(session: Session, redis=None, now: dt.datetime | None = None, parts: Sequence[str] = PARTS) -> dt.datetime:
    """Recompute ``parts`` of every scope's figures and store them (one commit); returns their
    ``as_of``. Safe to run twice at once: each row is replaced whole, the last writer's stays."""
    now = now or utcnow()
    redis = redis if redis is not None else redis_connection()
    boards = compute(session, now, redis, min_denominator(), parts)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for key, board in boards.items():
        for part in parts:
            _store(session, dialect, key, part, now, board.part_json(part))
    if ACTIVITY in parts:
        signals = [list(row) for row in session.execute(district_aggregates(SUPPRESS_BELOW))]
        _store(session, dialect, OPEN_DATA_SIGNALS, ACTIVITY, now, {"format": SIGNALS_FORMAT, "rows": signals})
    session.execute(delete(DashboardFigures).where(DashboardFigures.scope.not_in([*boards, OPEN_DATA_SIGNALS])))
    session.commit()
    return now


def _store(session: Session, dialect, scope: str, part: str, now: dt.datetime, figures: dict) -> None:
    insert = dialect.insert(DashboardFigures).values(scope=scope, part=part, as_of=now, figures=figures)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["scope", "part"], set_={"as_of": insert.excluded.as_of, "figures": insert.excluded.figures}
        )
    )
