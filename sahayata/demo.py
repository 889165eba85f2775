"""`flask --app wsgi demo-data`: the registry's demo (registry.demo) and what its citizens
then say, through the same services their phones use: some deny a payment they were asked
about, some dispute a redemption they never made, and half a year of complaints lies behind
them (``complaint_history``). The grievance system sits above the registry, so these are
the composition root's to give."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from foundation.db import db_session
from grievance import questions
from grievance.intake import Filing, file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Channel, Grievance, GrievanceEvent, QuestionKind, Status
from grievance.redemption_answers import not_me
from grievance.sla import DHAKA, add_working_days, holidays, tier_limit, working_days_between
from grievance.status import change_status
from notices.confirmations import deliver_confirmations
from registry.demo import DEMO_AS_OF, DemoResult, generate_demo_data
from registry.models import (
    Citizen,
    Enrolment,
    EnrolmentStatus,
    Payment,
    PaymentConfirmation,
    PaymentStatus,
    Programme,
    Redemption,
)

CONFIRMATIONS = 12  # payments asked "did you receive it?" by the demo, beside the import's share
DENY_EVERY = 4  # one answer in four is "no"


def dispute(session: Session, redemption_ids: list[int]) -> list[str]:
    """The beneficiary's "not me", as their "2" to the receipt files it (sensitive, for the
    ministry's redress officer, linked to the redemption); returns the tracking numbers."""
    numbers = []
    for redemption_id in redemption_ids:
        redemption = session.get_one(Redemption, redemption_id)
        citizen = session.get_one(Citizen, redemption.citizen_id)
        answered = not_me(session, citizen.mobile or "", redemption.id, Channel.SMS, citizen.language.value)
        numbers.append(answered.tracking_number or "")
    return numbers


def ask_and_answer(session: Session, count: int = CONFIRMATIONS) -> tuple[int, int]:
    """Ask ``count`` beneficiaries (with a phone) about their latest credited payment, as an
    import's confirmations are asked, and answer each as they would by SMS: "2" (no) one
    time in DENY_EVERY, which files a "payment not received" complaint. Returns (yes, no)."""
    latest = (
        select(func.max(Payment.id))
        .join(Citizen, Citizen.id == Payment.citizen_id)
        .where(Payment.status == PaymentStatus.CREDITED, Citizen.mobile.is_not(None))
        .where(~select(PaymentConfirmation.payment_id).where(PaymentConfirmation.payment_id == Payment.id).exists())
        .group_by(Payment.citizen_id)
        .order_by(Payment.citizen_id)
        .limit(count)
    )
    payment_ids = list(session.scalars(latest))
    session.add_all(PaymentConfirmation(payment_id=i, asked_at=utcnow()) for i in payment_ids)
    session.commit()
    deliver_confirmations(payment_ids)
    said = [0, 0]
    for n, payment_id in enumerate(payment_ids):
        mobile = session.scalar(select(Citizen.mobile).join(Payment).where(Payment.id == payment_id))
        yes = n % DENY_EVERY != 0
        answered = questions.answer(session, mobile or "", yes, Channel.SMS, kind=QuestionKind.PAYMENT_RECEIVED)
        if answered.outcome is not questions.NoQuestion.NOTHING_TO_ANSWER:
            said[0 if yes else 1] += 1
    return said[0], said[1]


# -- half a year of complaints ------------------------------------------------------------------
# Open data publishes finished months only, and suppresses a cell under 5; complaints scattered
# one by one over 64 districts would publish nothing but "<5". Real complaints come in waves
# (a payment cycle that failed in one district, a dealer who turned people away), and a wave
# is handled as one: the office fixes the batch, so its complaints share their fate.
HISTORY_MONTHS = 6  # finished months before the current one
WAVES_PER_MONTH = 2
WAVE = 8  # complaints in one wave: one district, one programme, one category, one month
BACKGROUND_PER_1000 = 12  # scattered complaints a month per 1,000 citizens
WAVE_CATEGORIES = {"cash": Category.PAYMENT_NOT_RECEIVED, "etoken": Category.ETOKEN_REFUSED}
OFFICE = "demo history"  # the trail's actor for what the offices did before the demo began


def complaint_history(session: Session, seed: int, now: dt.datetime | None = None) -> int:
    """File HISTORY_MONTHS finished months of complaints and the current month's so far, each
    through the intake and the router as a citizen's would be, then dated back to when it was
    filed and moved on as far as an office would have by now (older ones resolved and closed,
    recent ones still open). Returns how many were filed."""
    now = now or utcnow()
    plan = _plan(session, random.Random(seed), now)
    ids, planned = [], []
    for item in plan:
        person, category, filed_at, _fate = item
        filing = Filing(
            phone=person.mobile,
            category=category,
            programme_code=person.programme_code,
            text=None,
            channel=Channel.USSD,
            locale="bn",
            citizen_id=person.id,
        )
        filed = file_grievance(session, filing)
        if filed.duplicate:  # the same phone's twin within a day (both dated in the last 24 hours)
            continue
        # Dated back at once: the same phone's next complaint in the plan is not its twin.
        session.execute(update(Grievance).where(Grievance.id == filed.id).values(created_at=filed_at))
        session.commit()
        ids.append(filed.id)
        planned.append(item)
    for grievance_id in ids:
        route_grievance(grievance_id)  # a batch at a time; done already where jobs run inline
    session.expire_all()
    off = holidays(session)
    grievances = {g.id: g for g in session.scalars(select(Grievance).where(Grievance.id.in_(ids)))}
    moments = {}
    for grievance_id, (_person, _category, filed_at, fate) in zip(ids, planned, strict=True):
        moments[grievance_id] = _move_on(session, grievances[grievance_id], filed_at, fate, now, off)
    session.flush()
    for event in session.scalars(select(GrievanceEvent).where(GrievanceEvent.grievance_id.in_(ids))):
        event.at = moments[event.grievance_id][event.to_status]
    session.commit()
    return len(ids)


def _plan(session: Session, rng: random.Random, now: dt.datetime) -> list[tuple]:
    """(person, category, when filed, fate) of every complaint of the history, oldest month first."""
    people = session.execute(
        select(Citizen.id, Citizen.mobile, Citizen.district_id, Enrolment.programme_code, Programme.benefit_type)
        .join(Enrolment, Enrolment.citizen_id == Citizen.id)
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Citizen.mobile.is_not(None), Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Citizen.id, Enrolment.programme_code)
    ).all()
    if not people:
        return []
    places: dict[tuple[int, str], list] = defaultdict(list)
    for person in people:
        places[(person.district_id, person.programme_code)].append(person)
    # Where waves break: the district and programme pairs with the most beneficiaries.
    hot = sorted(places, key=lambda place: (-len(places[place]), place))[: WAVES_PER_MONTH + 1]
    background = max(1, len(people) * BACKGROUND_PER_1000 // 1000)
    chosen = [c for c in Category if c.citizen_chooses and c is not Category.BRIBE_OR_HARASSMENT]
    latest = now - dt.timedelta(hours=1)
    this_month = now.astimezone(DHAKA).date().replace(day=1)
    plan = []
    for back in range(HISTORY_MONTHS, -1, -1):
        first = _months_before(this_month, back)
        last = (now - dt.timedelta(days=1)).astimezone(DHAKA).date() if back == 0 else _month_end(first)
        if last < first:
            continue
        for wave in range(WAVES_PER_MONTH):
            place = hot[(back + wave) % len(hot)]
            start = _moment(rng, first, max(first, last - dt.timedelta(days=7)))
            fate = _fate(rng, now - start)  # one for the whole wave: the office handles it as one
            for n in range(WAVE):
                person = places[place][n % len(places[place])]
                moment = min(start + dt.timedelta(hours=rng.randint(0, 72), minutes=n), latest)
                plan.append((person, WAVE_CATEGORIES.get(person.benefit_type, Category.OTHER), moment, fate))
        for _n in range(background):
            moment = min(_moment(rng, first, last), latest)
            plan.append((rng.choice(people), rng.choice(chosen), moment, _fate(rng, now - moment)))
    return plan


def _months_before(month: dt.date, back: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _months_before(first, -1) - dt.timedelta(days=1)


def _moment(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    """A moment in office hours (Dhaka) on a day from ``first`` to ``last``, in UTC."""
    day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
    at = dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)), DHAKA)
    return at.astimezone(dt.UTC)


def _fate(rng: random.Random, age: dt.timedelta) -> tuple[list[Status], int]:
    """The statuses a complaint of this age has been through since routing, and the working
    days the office took to resolve (or reject) it, if it did."""
    days = age.days
    if days > 60:
        path = rng.choices(
            [[Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED], [Status.REJECTED], [Status.ACKNOWLEDGED]],
            [90, 5, 5],
        )[0]
    elif days > 20:
        path = rng.choices(
            [[Status.ACKNOWLEDGED, Status.RESOLVED], [Status.ACKNOWLEDGED, Status.IN_PROGRESS], []], [60, 30, 10]
        )[0]
    else:
        path = rng.choices([[], [Status.ACKNOWLEDGED], [Status.ACKNOWLEDGED, Status.IN_PROGRESS]], [60, 30, 10])[0]
    return path, rng.randint(3, min(25, max(3, days * 5 // 7 - 1)))


def _move_on(
    session: Session, grievance: Grievance, filed_at: dt.datetime, fate: tuple[list[Status], int], now, off
) -> dict[Status, dt.datetime]:
    """Take ``grievance`` along its fate's statuses and date it from ``filed_at``; returns when
    it reached each status (for its trail). The caller commits."""
    path, took = fate
    for status in path:
        change_status(session, grievance, status, OFFICE, tell_citizen=False)
    routed = filed_at + dt.timedelta(minutes=2)
    latest = now - dt.timedelta(minutes=30)
    decided = min(add_working_days(routed, took, off) - dt.timedelta(hours=6), latest)
    moments = {Status.RECEIVED: filed_at, Status.ROUTED: routed}
    for n, status in enumerate(path, 1):
        on_the_way = min(routed + dt.timedelta(days=n), decided)
        moments[status] = decided if status in (Status.RESOLVED, Status.REJECTED) else on_the_way
    moments[Status.CLOSED] = min(decided + dt.timedelta(days=8), latest)  # unanswered for a week: closed
    grievance.created_at = filed_at
    grievance.routed_at = grievance.sla_started_at = routed
    grievance.due_at = add_working_days(routed, tier_limit(grievance.tier), off)
    if grievance.first_resolved_at is not None:
        grievance.first_resolved_at = decided
        days = working_days_between(filed_at.astimezone(DHAKA).date(), decided.astimezone(DHAKA).date(), off)
        grievance.resolution_working_days = days
    grievance.updated_at = max(moments[status] for status in (Status.ROUTED, *path))
    return moments


def load_demo(
    session: Session,
    citizens: int,
    seed: int,
    as_of: dt.date = DEMO_AS_OF,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """The demo registry with its outlets and redemptions, then the citizens' answers; once:
    a second load adds no answers (the registry's redemptions are not repeated either)."""
    result = generate_demo_data(session, citizens, seed, as_of, progress=progress)
    if result.disputed:
        complaint_history(session, seed)
        dispute(session, result.disputed)
        ask_and_answer(session)
    return result


@click.command("demo-data")
@with_appcontext
@click.option("--citizens", "count", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing if the registry already has citizens.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Anchor date (default 2026-11-01).")
def demo_data_command(count: int, seed: int, if_empty: bool, as_of: dt.datetime | None) -> None:
    """Generate a synthetic registry (the same for the same seed) through the importers, with
    outlets, redemptions and citizens' answers for the signals."""
    from foundation.config import is_production

    if is_production(current_app.config):
        # Invented people with real-looking NIDs and phones would mix with the real registry.
        raise click.ClickException("production mode: demo data is for development machines only")
    session = db_session()
    existing = session.scalar(select(func.count()).select_from(Citizen))
    if if_empty and existing:
        click.echo(f"registry already has {existing} citizens; demo data not loaded")
        return
    result = load_demo(
        session,
        count,
        seed,
        as_of.date() if as_of else DEMO_AS_OF,
        progress=lambda kind, rows, _n: click.echo(f"  {kind}: {rows} rows", err=True),
    )
    click.echo(f"demo registry: {result.citizens} citizens (seed {seed}), {result.redemptions} redemptions")
    click.echo("phones to try:")
    for mobile, what in result.samples:
        click.echo(f"  {mobile}  {what}")
