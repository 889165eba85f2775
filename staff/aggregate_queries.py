"""The grouped queries behind the dashboards' stored figures (staff.aggregates stores them).

Each query groups rows once by ministry and cluster, or by programme (whose ministry and
cluster are looked up here), and the rows are added up per scope in Python, so one pass
serves every ministry, every cluster and "all" together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from foundation import screen_counts
from grievance.calendar_watch import unconfirmed_lunar_year
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
    ACTIVITY,
    PARTS,
    REGISTRY,
    RESOLUTION_WINDOW,
    USSD_DAYS,
    WEEKS,
    WORST,
    Dashboard,
    Scope,
    rate,
    weighted_median,
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
