"""Monitoring figures for a ministry, a cluster or everything, computed in SQL.

Complaint figures cover every case in scope; payment figures come from the registry for the
programmes in scope; USSD drop-offs from the screen counters of the last 7 days. No figure
carries personal data, so monitoring staff see the same pages as a coordinator.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from grievance.jobs import OPEN
from grievance.models import Grievance, GrievanceEvent, Status
from grievance.sla import DHAKA, holidays, working_days_between
from registry.models import Citizen, District, Enrolment, EnrolmentStatus, Payment, PaymentStatus, Programme
from sahayata.clock import as_utc, utcnow

WEEKS = 12
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


def build(session: Session, scope: Scope, now: dt.datetime | None = None, redis=None) -> Dashboard:
    now = now or utcnow()
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
    board.payment_failures = _payment_failures(session, scope)
    if redis is not None:
        board.ussd_dropoffs = _ussd_dropoffs(redis, now)
    return board


def _resolved_at():
    return (
        select(GrievanceEvent.grievance_id, func.min(GrievanceEvent.at).label("at"))
        .where(GrievanceEvent.to_status == Status.RESOLVED)
        .group_by(GrievanceEvent.grievance_id)
        .subquery()
    )


def _median_resolution(session: Session, in_scope, now: dt.datetime) -> float | None:
    resolved = _resolved_at()
    rows = session.execute(
        select(Grievance.created_at, resolved.c.at)
        .join(resolved, resolved.c.grievance_id == Grievance.id)
        .where(in_scope, resolved.c.at >= now - RESOLUTION_WINDOW)
    ).all()
    if not rows:
        return None
    off = holidays(session)
    days = [
        working_days_between(as_utc(created).astimezone(DHAKA).date(), as_utc(at).astimezone(DHAKA).date(), off)
        for created, at in rows
    ]
    return float(statistics.median(days))


def _breach_rate(session: Session, in_scope, now: dt.datetime) -> float | None:
    resolved = _resolved_at()
    late = case(
        (resolved.c.at.is_not(None), resolved.c.at > Grievance.due_at),
        (Grievance.status.in_(OPEN), Grievance.due_at < now),
        else_=False,
    )
    total, breached = session.execute(
        select(func.count(), func.count().filter(late))
        .select_from(Grievance)
        .outerjoin(resolved, resolved.c.grievance_id == Grievance.id)
        .where(in_scope, Grievance.due_at.is_not(None))
    ).one()
    return breached / total if total else None


def _per_10k_by_district(session: Session, scope: Scope) -> list[tuple[str, int, int, float | None]]:
    cases = dict(
        session.execute(
            select(Grievance.district_id, func.count())
            .where(scope.grievances(), Grievance.district_id.is_not(None))
            .group_by(Grievance.district_id)
        ).all()
    )
    people = dict(
        session.execute(
            select(Citizen.district_id, func.count(func.distinct(Enrolment.citizen_id)))
            .join(Enrolment, Enrolment.citizen_id == Citizen.id)
            .join(Programme, Programme.code == Enrolment.programme_code)
            .where(scope.programmes(), Enrolment.status == EnrolmentStatus.ACTIVE)
            .group_by(Citizen.district_id)
        ).all()
    )
    names = dict(session.execute(select(District.id, District.name_en)).all())
    rows = []
    for district_id in set(cases) | set(people):
        count, beneficiaries = cases.get(district_id, 0), people.get(district_id, 0)
        rate = 10_000 * count / beneficiaries if beneficiaries else None
        rows.append((names.get(district_id, str(district_id)), count, beneficiaries, rate))
    return sorted(rows, key=lambda row: (-(row[3] or 0), row[0]))


def _weekly(session: Session, in_scope, now: dt.datetime) -> list[tuple[dt.date, int]]:
    today = now.astimezone(DHAKA).date()
    first = today - dt.timedelta(days=today.weekday() + 7 * (WEEKS - 1))  # a Monday
    start = dt.datetime.combine(first, dt.time(), DHAKA)
    created = session.scalars(select(Grievance.created_at).where(in_scope, Grievance.created_at >= start)).all()
    counts = dict.fromkeys((first + dt.timedelta(weeks=n) for n in range(WEEKS)), 0)
    for moment in created:
        day = as_utc(moment).astimezone(DHAKA).date()
        week = day - dt.timedelta(days=day.weekday())
        if week in counts:
            counts[week] += 1
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


def _ussd_dropoffs(redis, now: dt.datetime) -> list[tuple[str, int, int, float]]:
    from ussd_app.analytics import ScreenAnalytics

    analytics = ScreenAnalytics(redis)
    totals: dict[str, list[int]] = {}
    for n in range(7):
        for screen, counts in analytics.day((now - dt.timedelta(days=n)).date()).items():
            entry = totals.setdefault(screen, [0, 0])
            entry[0] += counts.get("views", 0)
            entry[1] += counts.get("dropoffs", 0) + counts.get("timeouts", 0)
    rows = [(screen, views, dropped, dropped / views) for screen, (views, dropped) in totals.items() if views]
    return sorted(rows, key=lambda row: -row[3])
