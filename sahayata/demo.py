"""`flask --app wsgi demo-data`: the registry's demo (registry.demo) and what its citizens
then say, through the same services their phones use: some deny a payment they were asked
about, some dispute a redemption they never made. The grievance system sits above the
registry, so these answers are the composition root's to give."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from foundation.db import db_session
from grievance import questions
from grievance.models import Channel, QuestionKind
from grievance.redemption_answers import not_me
from notices.confirmations import deliver_confirmations
from registry.demo import DEMO_AS_OF, DemoResult, generate_demo_data
from registry.models import Citizen, Payment, PaymentConfirmation, PaymentStatus, Redemption

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
