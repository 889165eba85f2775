"""The dashboards' figures, computed ahead of the page and kept in the database.

A page view reads its scope's stored rows and nothing of the registry: the big tables are
scanned by the refresh jobs, once for every scope together, not by each page view and not
again by each web worker.

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
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import JSON, DateTime, String, and_, case, delete, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from foundation import screen_counts
from foundation.clock import as_utc, utcnow
from foundation.db import Base, db_session
from foundation.jobs import enqueue, jobs_run_inline, redis_connection, with_app_context
from grievance.calendar_watch import unconfirmed_lunar_year
from grievance.models import Grievance
from grievance.sla import DHAKA
from grievance.status import OPEN
from monitoring.opendata import district_aggregates
from monitoring.outlets import at_night
from registry.models import (
    Citizen,
    Cluster,
    Enrolment,
    EnrolmentStatus,
    Ministry,
    Outlet,
    Payment,
    PaymentConfirmation,
    PaymentStatus,
    Programme,
    Redemption,
    RedemptionStatus,
)
from staff.dashboards import (
    ACTIVITY,
    PARTS,
    REGISTRY,
    RESOLUTION_WINDOW,
    USSD_DAYS,
    WEEKS,
    WORST,
    Dashboard,
    Scope,
    min_denominator,
    rate,
    weighted_median,
)
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


def compute(
    session: Session, now: dt.datetime, redis, minimum: int, parts: Sequence[str] = PARTS
) -> dict[str, Dashboard]:
    """``parts`` of every scope's figures from one pass of grouped queries: rows are grouped by
    ministry and cluster (or programme) once, and added up per scope here, so the cost does not
    grow with the number of ministries."""
    scopes = [Scope("all")]
    scopes += [Scope("ministry", code) for code in session.scalars(select(Ministry.code).order_by(Ministry.code))]
    scopes += [Scope("cluster", code) for code in session.scalars(select(Cluster.code).order_by(Cluster.code))]
    boards = {scope.key: Dashboard(scope, now, now) for scope in scopes}
    owners = {code: (ministry, cluster) for code, ministry, cluster in session.execute(_programme_owners())}
    if ACTIVITY in parts:
        _complaints(session, boards, now)
        _resolution(session, boards, now)
        _weekly(session, boards, now)
        _redemptions(session, boards, owners)
        _confirmations(session, boards, owners, minimum)
        _outlets(session, boards, owners, minimum)
        ussd = screen_counts.days(redis, now.date(), USSD_DAYS) if redis is not None else {}
        # Here, not on the page: the calendar loads the holidays package, a third of a second
        # of a freshly started process's first dashboard.
        lunar = unconfirmed_lunar_year(session, now.astimezone(DHAKA).date())
        for board in boards.values():
            board.ussd = ussd
            board.unconfirmed_lunar_year = lunar
    if REGISTRY in parts:
        _beneficiaries(session, boards)
        _payments(session, boards, owners, minimum)
    return boards


def _scope_keys(boards: dict[str, Dashboard], ministry: str | None, cluster: str | None) -> list[str]:
    """The scopes a row grouped by (ministry, cluster) counts in."""
    keys = ["all", f"ministry:{ministry}", f"cluster:{cluster}"]
    return [key for key in keys if key in boards]


def _programme_owners():
    return select(Programme.code, Programme.lead_ministry_code, Programme.cluster_code)


# -- complaints --------------------------------------------------------------------------------
def _complaints(session: Session, boards: dict[str, Dashboard], now: dt.datetime) -> None:
    """Open, overdue and breached cases, complaints per district and the top categories: one scan."""
    is_open = Grievance.status.in_(OPEN)
    has_deadline = Grievance.due_at.is_not(None)
    late = case(
        (Grievance.first_resolved_at.is_not(None), Grievance.first_resolved_at > Grievance.due_at),
        (is_open, Grievance.due_at < now),
        else_=False,
    )
    group = (Grievance.ministry_code, Grievance.cluster_code, Grievance.district_id, Grievance.category)
    rows = session.execute(
        select(
            *group,
            func.count(),
            func.count().filter(is_open),
            func.count().filter(and_(is_open, Grievance.due_at < now)),
            func.count().filter(has_deadline),
            func.count().filter(and_(has_deadline, late)),
        ).group_by(*group)
    ).all()
    districts: dict[str, Counter] = defaultdict(Counter)
    categories: dict[str, Counter] = defaultdict(Counter)
    for ministry, cluster, district_id, category, count, open_, overdue, deadline, breached in rows:
        for key in _scope_keys(boards, ministry, cluster):
            board = boards[key]
            board.open += open_
            board.overdue += overdue
            board.with_deadline += deadline
            board.breached += breached
            if district_id is not None:
                districts[key][district_id] += count
            categories[key][category.value] += count
    for key, board in boards.items():
        board.top_categories = sorted(categories[key].items(), key=lambda item: (-item[1], item[0]))[:5]
        board.district_complaints = sorted(districts[key].items())


def _resolution(session: Session, boards: dict[str, Dashboard], now: dt.datetime) -> None:
    """Median working days from filing to first resolution over cases resolved lately: the
    database counts cases per number of days, and the medians come from those counts."""
    rows = session.execute(
        select(Grievance.ministry_code, Grievance.cluster_code, Grievance.resolution_working_days, func.count())
        .where(Grievance.first_resolved_at >= now - RESOLUTION_WINDOW, Grievance.resolution_working_days.is_not(None))
        .group_by(Grievance.ministry_code, Grievance.cluster_code, Grievance.resolution_working_days)
    ).all()
    counts: dict[str, Counter] = defaultdict(Counter)
    for ministry, cluster, days, count in rows:
        for key in _scope_keys(boards, ministry, cluster):
            counts[key][days] += count
    for key, board in boards.items():
        if counts[key]:
            board.median_resolution_working_days = weighted_median(dict(counts[key]))
            board.resolved_recently = sum(counts[key].values())


def _dhaka_date(session: Session, column):
    """The calendar day in Dhaka (UTC+6, no daylight saving) of a stored UTC timestamp, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Dhaka", column))
    return func.date(column, "+6 hours")


def _weekly(session: Session, boards: dict[str, Dashboard], now: dt.datetime) -> None:
    """Complaints filed per week (Monday to Sunday, Dhaka time) over the last WEEKS weeks."""
    today = now.astimezone(DHAKA).date()
    first = today - dt.timedelta(days=today.weekday() + 7 * (WEEKS - 1))  # a Monday
    start = dt.datetime.combine(first, dt.time(), DHAKA)
    day = _dhaka_date(session, Grievance.created_at)
    rows = session.execute(
        select(Grievance.ministry_code, Grievance.cluster_code, day, func.count())
        .where(Grievance.created_at >= start)
        .group_by(Grievance.ministry_code, Grievance.cluster_code, day)
    ).all()
    weeks = [first + dt.timedelta(weeks=n) for n in range(WEEKS)]
    counts: dict[str, Counter] = defaultdict(Counter)
    for ministry, cluster, value, count in rows:
        date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        week = date - dt.timedelta(days=date.weekday())
        for key in _scope_keys(boards, ministry, cluster):
            counts[key][week] += count
    for key, board in boards.items():
        board.weekly = [(week, counts[key][week]) for week in weeks]


# -- the registry ------------------------------------------------------------------------------
def _beneficiaries(session: Session, boards: dict[str, Dashboard]) -> None:
    """People with an active enrolment in a programme in scope, per district. A person in two
    programmes of one ministry is one person, so they are counted per scope kind, not added
    up from programmes: enrolments are joined to citizens once (a CTE), then counted three ways."""
    enrolled = (
        select(
            Enrolment.citizen_id,
            Citizen.district_id,
            Programme.lead_ministry_code.label("ministry"),
            Programme.cluster_code.label("cluster"),
        )
        .join(Citizen, Citizen.id == Enrolment.citizen_id)
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, Citizen.district_id.is_not(None))
        .distinct()
        .cte("enrolled")
    )
    people = func.count(func.distinct(enrolled.c.citizen_id))
    district = enrolled.c.district_id
    counts = union_all(
        select(literal("all"), literal(""), district, people).group_by(district),
        select(literal("ministry"), enrolled.c.ministry, district, people).group_by(enrolled.c.ministry, district),
        select(literal("cluster"), enrolled.c.cluster, district, people).group_by(enrolled.c.cluster, district),
    )
    counted: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for kind, code, district_id, count in session.execute(counts):
        counted["all" if kind == "all" else f"{kind}:{code}"].append((district_id, count))
    for key, board in boards.items():
        board.beneficiaries = sorted(counted.get(key, []))


def _payments(session: Session, boards: dict[str, Dashboard], owners: dict, minimum: int) -> None:
    failed = Payment.status.in_([PaymentStatus.FAILED, PaymentStatus.RETURNED])
    rows = session.execute(
        select(Payment.programme_code, Payment.channel, func.count(), func.count().filter(failed))
        .where(Payment.status != PaymentStatus.SCHEDULED, Payment.channel.is_not(None))
        .group_by(Payment.programme_code, Payment.channel)
    ).all()
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for programme, channel, count, bad in rows:
        for key in _scope_keys(boards, *owners.get(programme, (None, None))):
            entry = totals[key][channel.value]
            entry[0] += count
            entry[1] += bad
    for key, board in boards.items():
        board.payment_failures = _worst_first(
            ((channel, total, bad) for channel, (total, bad) in totals[key].items()),
            share=lambda row: rate(row[2], row[1], minimum),
            then=lambda row: (-row[2], row[0]),
        )


def _redemptions(session: Session, boards: dict[str, Dashboard], owners: dict) -> None:
    """Completed redemptions and the quantity handed over, per unit (kg of rice and vouchers
    do not add up), for the programmes in scope."""
    rows = session.execute(
        select(
            Redemption.programme_code, Redemption.unit, func.count(), func.coalesce(func.sum(Redemption.quantity), 0)
        )
        .where(Redemption.status == RedemptionStatus.COMPLETED)
        .group_by(Redemption.programme_code, Redemption.unit)
    ).all()
    totals: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for programme, unit, count, quantity in rows:
        for key in _scope_keys(boards, *owners.get(programme, (None, None))):
            totals[key][unit][0] += count
            totals[key][unit][1] += float(quantity)
    for key, board in boards.items():
        board.redemptions = [(unit, count, quantity) for unit, (count, quantity) in sorted(totals[key].items())]


def _confirmations(session: Session, boards: dict[str, Dashboard], owners: dict, minimum: int) -> None:
    """Beneficiaries asked "did you receive it?", how many said yes and no, and the payment
    channels whose answers deny the payment most."""
    yes = func.count().filter(PaymentConfirmation.received.is_(True))
    no = func.count().filter(PaymentConfirmation.received.is_(False))
    rows = session.execute(
        select(Payment.programme_code, Payment.channel, func.count(), yes, no)
        .select_from(PaymentConfirmation)
        .join(Payment, Payment.id == PaymentConfirmation.payment_id)
        .group_by(Payment.programme_code, Payment.channel)
    ).all()
    totals: dict[str, dict[str | None, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for programme, channel, asked, said_yes, said_no in rows:
        for key in _scope_keys(boards, *owners.get(programme, (None, None))):
            entry = totals[key][channel.value if channel else None]
            for n, value in enumerate((asked, said_yes, said_no)):
                entry[n] += value
    for key, board in boards.items():
        per_channel = totals[key]
        board.confirmations = tuple(sum(entry[n] for entry in per_channel.values()) for n in range(3))  # type: ignore[assignment]
        board.worst_channels = _worst_first(
            ((channel, *entry) for channel, entry in per_channel.items() if channel and entry[1] + entry[2]),
            share=lambda row: rate(row[3], row[2] + row[3], minimum),
            then=lambda row: (-row[3], row[0]),
        )[:WORST]


def _outlets(session: Session, boards: dict[str, Dashboard], owners: dict, minimum: int) -> None:
    """The WORST outlets per scope by the share of their completed redemptions (in scope) that
    a beneficiary disputed, then by those at night or for people from another upazila."""
    disputed = select(Grievance.redemption_id).where(Grievance.redemption_id.is_not(None)).distinct().subquery()
    moment = func.coalesce(Redemption.finished_at, Redemption.started_at)
    outlet = (Outlet.code, Outlet.name_en, Outlet.name_bn)
    rows = session.execute(
        select(
            Redemption.programme_code,
            *outlet,
            func.count(),
            func.count(disputed.c.redemption_id),
            func.count().filter(at_night(moment)),
            func.count().filter(Citizen.upazila_id != Outlet.upazila_id),
        )
        .select_from(Redemption)
        .join(Outlet, Outlet.id == Redemption.outlet_id)
        .join(Citizen, Citizen.id == Redemption.citizen_id)
        .outerjoin(disputed, disputed.c.redemption_id == Redemption.id)
        .where(Redemption.status == RedemptionStatus.COMPLETED)
        .group_by(Redemption.programme_code, Outlet.id, *outlet)
    ).all()
    totals: dict[str, dict[tuple[str, str, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for programme, code, name_en, name_bn, *counts in rows:
        for key in _scope_keys(boards, *owners.get(programme, (None, None))):
            entry = totals[key][(code, name_en, name_bn)]
            for n, value in enumerate(counts):
                entry[n] += value
    for key, board in boards.items():
        board.worst_outlets = _worst_first(
            ((*names, *entry) for names, entry in totals[key].items()),
            share=lambda row: rate(row[4], row[3], minimum),
            then=lambda row: (-row[4], -(row[5] + row[6]), row[0]),
        )[:WORST]


def _worst_first(rows: Iterable[tuple], share, then) -> list[tuple]:
    """Rows with a rate (its denominator large enough) first, highest rate first; then the
    rest, by ``then``. A share of one redemption in one is no reason to head the list."""
    return sorted(rows, key=lambda row: (share(row) is None, -(share(row) or 0), then(row)))
