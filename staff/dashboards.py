"""Monitoring figures for a ministry, a cluster or everything, computed in SQL.

Complaint figures cover every case in scope; payment figures come from the registry for the
programmes in scope; USSD drop-offs from the screen counters of the last 7 days. No figure
carries personal data, so monitoring staff see the same pages as a coordinator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select, true
from sqlalchemy.orm import Session

from foundation.cache import cached
from foundation.clock import utcnow
from grievance.calendar_watch import unconfirmed_lunar_year
from grievance.models import Grievance
from grievance.sla import DHAKA
from grievance.status import OPEN
from monitoring.outlets import at_night
from registry.models import (
    Citizen,
    Cluster,
    District,
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
from staff.models import Role

WEEKS = 12
# Registry figures (beneficiaries, payment failures) change with imports, not by the minute:
# they are cached per process for this long; complaint figures are always live.
REGISTRY_CACHE_KEY = "staff.dashboard.registry"
RESOLUTION_WINDOW = dt.timedelta(days=180)  # median over cases resolved in the last 6 months


@dataclass(frozen=True)
class Scope:
    kind: str  # "ministry", "cluster" or "all"
    code: str = ""

    def grievances(self) -> ColumnElement[bool]:
        if self.kind == "ministry":
            return Grievance.ministry_code == self.code
        if self.kind == "cluster":
            return Grievance.cluster_code == self.code
        return true()

    def programmes(self) -> ColumnElement[bool]:
        if self.kind == "ministry":
            return Programme.lead_ministry_code == self.code
        if self.kind == "cluster":
            return Programme.cluster_code == self.code
        return true()


class UnknownScope(LookupError):
    """A ``?scope=`` that names no ministry or cluster: the page answers 404."""


SCOPE_KINDS = ("ministry", "cluster")
SCOPE_CODES_CACHE_KEY = "staff.dashboard.scope_codes"


def scope_for(session: Session, user, requested: str) -> Scope:
    """The scope ``user`` sees: officers their ministry, coordinators their cluster; monitoring
    and admin choose with ``requested`` ("", "all", "ministry:CODE" or "cluster:CODE").

    Only codes of real ministries and clusters are accepted, so the dashboard cache, keyed
    by scope, holds at most one entry per ministry and cluster.
    """
    if user.role in (Role.OFFICER, Role.GRO):
        return Scope("ministry", user.ministry_code)
    if user.role is Role.COORDINATOR:
        return Scope("cluster", user.cluster_code)
    return parse_scope(session, requested)


def parse_scope(session: Session, requested: str) -> Scope:
    requested = requested.strip()
    if requested in ("", "all"):
        return Scope("all")
    kind, _sep, code = requested.partition(":")
    code = code.strip().upper()
    if kind not in SCOPE_KINDS or code not in _known_codes(session)[kind]:
        raise UnknownScope(requested)
    return Scope(kind, code)


def _known_codes(session: Session) -> dict[str, frozenset[str]]:
    return cached(
        SCOPE_CODES_CACHE_KEY,
        lambda: {
            "ministry": frozenset(session.scalars(select(Ministry.code))),
            "cluster": frozenset(session.scalars(select(Cluster.code))),
        },
    )


def scope_choices(session: Session, locale: str) -> list[tuple[str, str]]:
    """(value of ?scope=, label) for every ministry, then every cluster, in ``locale``."""
    bangla = locale == "bn"
    choices = []
    for kind, model in (("ministry", Ministry), ("cluster", Cluster)):
        for code, name_en, name_bn in session.execute(
            select(model.code, model.name_en, model.name_bn).order_by(model.code)
        ):
            choices.append((f"{kind}:{code}", f"{code}: {name_bn if bangla else name_en}"))
    return choices


@dataclass
class Dashboard:
    scope: Scope
    open: int = 0
    overdue: int = 0
    median_resolution_working_days: float | None = None
    breach_rate: float | None = None  # of cases with a deadline: resolved late, or open past it
    by_district: list[tuple[str, int, int, float | None]] = field(default_factory=list)  # name, cases, people, /10k
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[dt.date, int]] = field(default_factory=list)
    payment_failures: list[tuple[str, int, int, float]] = field(default_factory=list)  # channel, all, failed, rate
    ussd_dropoffs: list[tuple[str, int, int, float]] = field(default_factory=list)  # screen, views, dropped, rate
    redemptions: list[tuple[str, int, float]] = field(default_factory=list)  # unit, completed, quantity
    confirmations: tuple[int, int, int] = (0, 0, 0)  # asked, confirmed, denied
    # name, code, completed, disputed share, at night, from another upazila
    worst_outlets: list[tuple[str, str, int, float, int, int]] = field(default_factory=list)
    worst_channels: list[tuple[str, int, int, int, float]] = field(
        default_factory=list
    )  # channel, asked, yes, no, rate
    # Next year, when its lunar holidays are all still estimated from 1 December on: a banner.
    unconfirmed_lunar_year: int | None = None


BOARD_SECONDS = 60


def build(session: Session, scope: Scope, now: dt.datetime | None = None, redis=None) -> Dashboard:
    """The figures for ``scope``, at most BOARD_SECONDS old: a dashboard many people keep
    open must not rescan 100,000 complaints for each of them."""
    if now is not None:  # a moment of the caller's choosing: no cache
        return _build(session, scope, now, redis)
    return cached(("staff.dashboard", scope), lambda: _build(session, scope, utcnow(), redis), BOARD_SECONDS)


def _build(session: Session, scope: Scope, now: dt.datetime, redis) -> Dashboard:
    board = Dashboard(scope)
    in_scope = scope.grievances()
    board.open, board.overdue = session.execute(
        select(
            func.count().filter(Grievance.status.in_(OPEN)),
            func.count().filter(and_(Grievance.status.in_(OPEN), Grievance.due_at < now)),
        ).where(in_scope)
    ).one()
    board.median_resolution_working_days = _median_resolution(session, in_scope, now)
    board.breach_rate = _breach_rate(session, in_scope, now)
    board.by_district = _per_10k_by_district(session, scope)
    board.top_categories = [
        (category.value, count)
        for category, count in session.execute(
            select(Grievance.category, func.count())
            .where(in_scope)
            .group_by(Grievance.category)
            .order_by(func.count().desc(), Grievance.category)
            .limit(5)
        )
    ]
    board.weekly = _weekly(session, in_scope, now)
    board.payment_failures = cached(
        (REGISTRY_CACHE_KEY, "payment_failures", scope), lambda: _payment_failures(session, scope)
    )
    board.redemptions = _redemptions(session, scope)
    board.confirmations = _confirmations(session, scope)
    board.worst_outlets = _worst_outlets(session, scope)
    board.worst_channels = _worst_channels(session, scope)
    if redis is not None:
        board.ussd_dropoffs = _ussd_dropoffs(redis, now)
    board.unconfirmed_lunar_year = unconfirmed_lunar_year(session, now.astimezone(DHAKA).date())
    return board


def _dhaka_date(session: Session, column):
    """The calendar day in Dhaka (UTC+6, no daylight saving) of a stored UTC timestamp, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Dhaka", column))
    return func.date(column, "+6 hours")


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _median_resolution(session: Session, in_scope, now: dt.datetime) -> float | None:
    """Median working days from filing to first resolution, over cases resolved lately; the
    database counts cases per number of days, so Python sees a few dozen rows."""
    counts = dict(
        session.execute(
            select(Grievance.resolution_working_days, func.count())
            .where(
                in_scope,
                Grievance.first_resolved_at >= now - RESOLUTION_WINDOW,
                Grievance.resolution_working_days.is_not(None),
            )
            .group_by(Grievance.resolution_working_days)
        ).all()
    )
    return _weighted_median(counts) if counts else None


def _weighted_median(counts: dict[int, int]) -> float:
    total = sum(counts.values())
    values = sorted(counts)
    below, lower = 0, None
    for value in values:
        below += counts[value]
        if lower is None and below * 2 >= total:
            lower = value
            if below * 2 > total or total % 2:
                return float(value)
        elif lower is not None:
            return (lower + value) / 2
    return float(values[-1])


def _breach_rate(session: Session, in_scope, now: dt.datetime) -> float | None:
    late = case(
        (Grievance.first_resolved_at.is_not(None), Grievance.first_resolved_at > Grievance.due_at),
        (Grievance.status.in_(OPEN), Grievance.due_at < now),
        else_=False,
    )
    total, breached = session.execute(
        select(func.count(), func.count().filter(late)).where(in_scope, Grievance.due_at.is_not(None))
    ).one()
    return breached / total if total else None


def _per_10k_by_district(session: Session, scope: Scope) -> list[tuple[str, int, int, float | None]]:
    people = cached((REGISTRY_CACHE_KEY, "beneficiaries", scope), lambda: _beneficiaries_by_district(session, scope))
    cases = dict(
        session.execute(
            select(Grievance.district_id, func.count())
            .where(scope.grievances(), Grievance.district_id.is_not(None))
            .group_by(Grievance.district_id)
        ).all()
    )
    names = dict(session.execute(select(District.id, District.name_en)).all())
    rows = []
    for district_id in set(cases) | set(people):
        count, beneficiaries = cases.get(district_id, 0), people.get(district_id, 0)
        rate = 10_000 * count / beneficiaries if beneficiaries else None
        rows.append((names.get(district_id, str(district_id)), count, beneficiaries, rate))
    return sorted(rows, key=lambda row: (-(row[3] or 0), row[0]))


def _beneficiaries_by_district(session: Session, scope: Scope) -> dict[int, int]:
    """People with an active enrolment in a programme in scope, per district."""
    return dict(
        session.execute(
            select(Citizen.district_id, func.count(func.distinct(Enrolment.citizen_id)))
            .join(Enrolment, Enrolment.citizen_id == Citizen.id)
            .join(Programme, Programme.code == Enrolment.programme_code)
            .where(scope.programmes(), Enrolment.status == EnrolmentStatus.ACTIVE)
            .group_by(Citizen.district_id)
        ).all()
    )


def _weekly(session: Session, in_scope, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """Complaints filed per week (Monday to Sunday, Dhaka time) over the last WEEKS weeks."""
    today = now.astimezone(DHAKA).date()
    first = today - dt.timedelta(days=today.weekday() + 7 * (WEEKS - 1))  # a Monday
    start = dt.datetime.combine(first, dt.time(), DHAKA)
    day = _dhaka_date(session, Grievance.created_at)
    per_day = session.execute(
        select(day, func.count()).where(in_scope, Grievance.created_at >= start).group_by(day)
    ).all()
    counts = dict.fromkeys((first + dt.timedelta(weeks=n) for n in range(WEEKS)), 0)
    for value, count in per_day:
        date = _as_date(value)
        week = date - dt.timedelta(days=date.weekday())
        if week in counts:
            counts[week] += count
    return sorted(counts.items())


def _payment_failures(session: Session, scope: Scope) -> list[tuple[str, int, int, float]]:
    failed = Payment.status.in_([PaymentStatus.FAILED, PaymentStatus.RETURNED])
    rows = session.execute(
        select(Payment.channel, func.count(), func.count().filter(failed))
        .join(Programme, Programme.code == Payment.programme_code)
        .where(scope.programmes(), Payment.status != PaymentStatus.SCHEDULED, Payment.channel.is_not(None))
        .group_by(Payment.channel)
    ).all()
    return sorted(
        ((channel.value, total, bad, bad / total) for channel, total, bad in rows if total),
        key=lambda row: -row[3],
    )


WORST = 10


def _redemptions(session: Session, scope: Scope) -> list[tuple[str, int, float]]:
    """Completed redemptions and the quantity handed over, per unit (kg of rice and vouchers
    do not add up), for the programmes in scope."""
    rows = session.execute(
        select(Redemption.unit, func.count(), func.coalesce(func.sum(Redemption.quantity), 0))
        .join(Programme, Programme.code == Redemption.programme_code)
        .where(scope.programmes(), Redemption.status == RedemptionStatus.COMPLETED)
        .group_by(Redemption.unit)
        .order_by(Redemption.unit)
    ).all()
    return [(unit, count, float(volume)) for unit, count, volume in rows]


def _confirmations(session: Session, scope: Scope) -> tuple[int, int, int]:
    """Beneficiaries asked "did you receive it?", and how many said yes and no."""
    asked, yes, no = session.execute(
        select(
            func.count(),
            func.count().filter(PaymentConfirmation.received.is_(True)),
            func.count().filter(PaymentConfirmation.received.is_(False)),
        )
        .select_from(PaymentConfirmation)
        .join(Payment, Payment.id == PaymentConfirmation.payment_id)
        .join(Programme, Programme.code == Payment.programme_code)
        .where(scope.programmes())
    ).one()
    return asked, yes, no


def _worst_outlets(session: Session, scope: Scope) -> list[tuple[str, str, int, float, int, int]]:
    """The WORST outlets by the share of their completed redemptions (in scope) that a
    beneficiary disputed, then by those at night or for people from another upazila."""
    disputed = select(Grievance.redemption_id).where(Grievance.redemption_id.is_not(None)).distinct().subquery()
    moment = func.coalesce(Redemption.finished_at, Redemption.started_at)
    completed = func.count()
    disputes = func.count(disputed.c.redemption_id)
    night = func.count().filter(at_night(moment))
    outside = func.count().filter(Citizen.upazila_id != Outlet.upazila_id)
    share = cast(disputes, Float) / completed
    rows = session.execute(
        select(Outlet.name_en, Outlet.code, completed, share, night, outside)
        .select_from(Redemption)
        .join(Outlet, Outlet.id == Redemption.outlet_id)
        .join(Citizen, Citizen.id == Redemption.citizen_id)
        .join(Programme, Programme.code == Redemption.programme_code)
        .outerjoin(disputed, disputed.c.redemption_id == Redemption.id)
        .where(scope.programmes(), Redemption.status == RedemptionStatus.COMPLETED)
        .group_by(Outlet.id, Outlet.name_en, Outlet.code)
        .order_by(share.desc(), (night + outside).desc(), Outlet.code)
        .limit(WORST)
    ).all()
    return [(name, code, n, float(rate), at, away) for name, code, n, rate, at, away in rows]


def _worst_channels(session: Session, scope: Scope) -> list[tuple[str, int, int, int, float]]:
    """The WORST payment channels by the share of answers that deny the payment arrived."""
    yes = func.count().filter(PaymentConfirmation.received.is_(True))
    no = func.count().filter(PaymentConfirmation.received.is_(False))
    rate = cast(no, Float) / func.nullif(yes + no, 0)
    rows = session.execute(
        select(Payment.channel, func.count(), yes, no, rate)
        .select_from(PaymentConfirmation)
        .join(Payment, Payment.id == PaymentConfirmation.payment_id)
        .join(Programme, Programme.code == Payment.programme_code)
        .where(scope.programmes(), Payment.channel.is_not(None))
        .group_by(Payment.channel)
        .having(yes + no > 0)
        .order_by(rate.desc(), Payment.channel)
        .limit(WORST)
    ).all()
    return [(channel.value, asked, y, n, float(r)) for channel, asked, y, n, r in rows]


def _ussd_dropoffs(redis, now: dt.datetime) -> list[tuple[str, int, int, float]]:
    from foundation import screen_counts

    totals: dict[str, list[int]] = {}
    for n in range(7):
        for screen, counts in screen_counts.day(redis, (now - dt.timedelta(days=n)).date()).items():
            entry = totals.setdefault(screen, [0, 0])
            entry[0] += counts.get("views", 0)
            entry[1] += counts.get("dropoffs", 0) + counts.get("timeouts", 0)
    rows = [(screen, views, dropped, dropped / views) for screen, (views, dropped) in totals.items() if views]
    return sorted(rows, key=lambda row: -row[3])
