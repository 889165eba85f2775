"""The dashboards' figures, computed ahead of the page and kept in the database.

A page view reads one stored row (its scope's figures) and nothing of the registry: the
registry's tables are scanned by the refresh job, once for every scope together, every
REFRESH_SECONDS, not by each page view and not again by each web worker.

Why a table the job rewrites, and not counters kept current by the jobs that change the data:
- Write cost. Counters would be written by every complaint filed on USSD, every routing and
  status change, every payment import batch and every redemption, in the same transaction,
  on rows shared by a whole ministry: a payday's filings and a 5,000-row import batch would
  queue on the same counter rows. A refresh costs a few grouped scans every five minutes,
  whatever the rate of writes, and nothing on the paths citizens wait on.
- Correctness. Many figures move with the clock, not with a write: a case becomes overdue at
  midnight, the weekly trend and the 6-month resolution window slide. Those need a periodic
  job anyway, and a figure recomputed from the source cannot drift from it; counters
  maintained in a dozen places can, silently.
- One way for both databases. PostgreSQL's materialized views would give the same freshness
  (REFRESH rewrites the whole view too), but SQLite, the embedded mode, has none; a plain
  table rewritten by the job is the same code on both, and readers keep seeing the previous
  figures until the job commits.

Freshness: figures are at most REFRESH_SECONDS (plus one refresh's duration) old, and the page
says so on every figure ("as of 10:42", Dhaka time). After an import a ministry sees its new
beneficiaries and payment failure rates at the next refresh, within five minutes, and the
"as of" time tells it whether the import is in yet.

Who refreshes: the scheduler (sahayata/scheduler.py, ``refresh_job``). In embedded mode
(no REDIS_URL: `make run`) there is no scheduler, so a page view whose figures are older than
REFRESH_SECONDS refreshes them first (``board_for_page``); at demo scale that is a fraction of
a second. In either mode a database that has never been refreshed is refreshed by its first
page view, so a fresh deployment's dashboard is not empty until the scheduler's first run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import JSON, DateTime, String, and_, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from foundation import screen_counts
from foundation.clock import as_utc, utcnow
from foundation.db import Base, db_session
from foundation.jobs import jobs_run_inline, redis_connection, with_app_context
from grievance.models import Grievance
from grievance.sla import DHAKA
from grievance.status import OPEN
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

REFRESH_SECONDS = 300


class DashboardFigures(Base):
    """One scope's figures ("all", "ministry:MOSW", "cluster:SA") as of ``as_of``: the counts
    of staff.dashboards.Dashboard as JSON, replaced whole by each refresh."""

    __tablename__ = "dashboard_figures"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    figures: Mapped[dict] = mapped_column(JSON)


# -- reading -----------------------------------------------------------------------------------
def read(session: Session, scope: Scope) -> Dashboard | None:
    row = session.execute(
        select(DashboardFigures.as_of, DashboardFigures.figures).where(DashboardFigures.scope == scope.key)
    ).first()
    return None if row is None else Dashboard.from_json(scope, as_utc(row.as_of), row.figures)


def board_for_page(session: Session, scope: Scope, now: dt.datetime | None = None) -> Dashboard:
    """The stored figures; refreshed first if there are none, or in embedded mode if they are
    older than REFRESH_SECONDS (nothing else refreshes them there)."""
    board = read(session, scope)
    now = now or utcnow()
    stale = board is not None and jobs_run_inline() and now - board.as_of > dt.timedelta(seconds=REFRESH_SECONDS)
    if board is None or stale:
        refresh(session, now=now)
        board = read(session, scope)
    return board or Dashboard(scope, now)  # a scope added since the refresh: nothing counted yet


# -- refreshing --------------------------------------------------------------------------------
@with_app_context
def refresh_job() -> str:
    """The scheduler's job: every scope's figures, recomputed and stored."""
    return refresh(db_session()).isoformat()


def refresh(session: Session, redis=None, now: dt.datetime | None = None) -> dt.datetime:
    """Recompute every scope's figures and store them (one commit); returns their ``as_of``.
    Safe to run twice at once: each row is replaced whole, the last writer's stays."""
    now = now or utcnow()
    redis = redis if redis is not None else redis_connection()
    boards = compute(session, now, redis, min_denominator())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for key, board in boards.items():
        insert = dialect.insert(DashboardFigures).values(scope=key, as_of=now, figures=board.to_json())
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["scope"], set_={"as_of": insert.excluded.as_of, "figures": insert.excluded.figures}
            )
        )
    session.execute(delete(DashboardFigures).where(DashboardFigures.scope.not_in(list(boards))))
    session.commit()
    return now


def compute(session: Session, now: dt.datetime, redis, minimum: int) -> dict[str, Dashboard]:
    """Every scope's figures from one pass of grouped queries: rows are grouped by ministry and
    cluster (or programme) once, and added up per scope here, so the cost does not grow with
    the number of ministries."""
    scopes = [Scope("all")]
    scopes += [Scope("ministry", code) for code in session.scalars(select(Ministry.code).order_by(Ministry.code))]
    scopes += [Scope("cluster", code) for code in session.scalars(select(Cluster.code).order_by(Cluster.code))]
    boards = {scope.key: Dashboard(scope, now) for scope in scopes}
    cases_by_district = _complaints(session, boards, now)
    _resolution(session, boards, now)
    _weekly(session, boards, now)
    owners = {code: (ministry, cluster) for code, ministry, cluster in session.execute(_programme_owners())}
    _by_district(session, boards, cases_by_district)
    _payments(session, boards, owners, minimum)
    _redemptions(session, boards, owners)
    _confirmations(session, boards, owners, minimum)
    _outlets(session, boards, owners, minimum)
    ussd = screen_counts.days(redis, now.date(), USSD_DAYS) if redis is not None else {}
    for board in boards.values():
        board.ussd = ussd
    return boards


def _scope_keys(boards: dict[str, Dashboard], ministry: str | None, cluster: str | None) -> list[str]:
    """The scopes a row grouped by (ministry, cluster) counts in."""
    keys = ["all", f"ministry:{ministry}", f"cluster:{cluster}"]
    return [key for key in keys if key in boards]


def _programme_owners():
    return select(Programme.code, Programme.lead_ministry_code, Programme.cluster_code)


# -- complaints --------------------------------------------------------------------------------
def _complaints(session: Session, boards: dict[str, Dashboard], now: dt.datetime) -> dict[str, Counter]:
    """Open, overdue and breached cases and the top categories, from one scan that also
    counts complaints per district (returned per scope, for ``_by_district``)."""
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
    return districts


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
def _by_district(session: Session, boards: dict[str, Dashboard], cases: dict[str, Counter]) -> None:
    """Complaints and beneficiaries (people with an active enrolment in a programme in scope)
    per district. A person in two programmes of one ministry is one person, so beneficiaries
    are counted per scope kind (three scans), not added up from programmes."""
    people = func.count(func.distinct(Enrolment.citizen_id))
    enrolled = (
        select()
        .select_from(Enrolment)
        .join(Citizen, Citizen.id == Enrolment.citizen_id)
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, Citizen.district_id.is_not(None))
    )
    counted: dict[str, dict[int, int]] = defaultdict(dict)
    for district_id, count in session.execute(
        enrolled.add_columns(Citizen.district_id, people).group_by(Citizen.district_id)
    ):
        counted["all"][district_id] = count
    for kind, column in (("ministry", Programme.lead_ministry_code), ("cluster", Programme.cluster_code)):
        rows = session.execute(
            enrolled.add_columns(column, Citizen.district_id, people).group_by(column, Citizen.district_id)
        )
        for code, district_id, count in rows:
            counted[f"{kind}:{code}"][district_id] = count
    for key, board in boards.items():
        complaints, people_here = cases.get(key, Counter()), counted.get(key, {})
        board.by_district = sorted(
            (district_id, complaints[district_id], people_here.get(district_id, 0))
            for district_id in set(complaints) | set(people_here)
        )


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
