"""`flask --app wsgi grievance show|routes|act|sweep|escalate`."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from sahayata.db import db_session

grievance_cli = AppGroup("grievance", help="Complaints: inspect, route, act.")


def _load(number: str):
    from grievance.intake import find_by_tracking_number

    grievance = find_by_tracking_number(db_session(), number.strip())
    if grievance is None:
        raise click.ClickException("no complaint with this number (or its check digit is wrong)")
    return grievance


@grievance_cli.command("show")
@click.argument("number")
def show(number: str) -> None:
    """Print one complaint with its trail."""
    from registry.masking import mask_nid

    g = _load(number)
    who = f"citizen NID {mask_nid(_nid(g.citizen_id))}" if g.citizen_id else "unregistered phone"
    click.echo(f"complaint {g.tracking_number}  {g.status.value}  tier {g.tier}")
    click.echo(f"  category {g.category.value}; programme {g.programme_code or '-'}; channel {g.channel.value}")
    click.echo(f"  from {who}")
    click.echo(
        f"  routed to {g.ministry_code or '-'} ({g.office_level or '-'})"
        + (f", also {g.also_ministry_code}" if g.also_ministry_code else "")
    )
    click.echo(
        f"  filed {g.created_at:%Y-%m-%d %H:%M}; due {g.due_at:%Y-%m-%d %H:%M} UTC"
        if g.due_at
        else f"  filed {g.created_at:%Y-%m-%d %H:%M}; no deadline yet"
    )
    if g.text:
        click.echo(f"  text: {g.text}")
    for event in g.events:
        before = event.from_status.value if event.from_status else "-"
        click.echo(
            f"  {event.at:%Y-%m-%d %H:%M}  {before} -> {event.to_status.value}  by {event.actor}"
            + (f": {event.note}" if event.note else "")
        )


def _nid(citizen_id: int) -> str:
    from registry.models import Citizen

    return db_session().scalar(select(Citizen.nid).where(Citizen.id == citizen_id))


@grievance_cli.command("routes")
@click.option("--on", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date (default today).")
def routes(day: dt.datetime | None) -> None:
    """List the routing rules in force."""
    from grievance.routing import rules_in_force

    when = day.date() if day else dt.date.today()
    click.echo(f"routing rules in force on {when}:")
    for rule in rules_in_force(db_session(), when):
        what = (
            f"programme {rule.programme_code or '(none)'}"
            if rule.category is None
            else (f"category {rule.category.value}" + (f" in {rule.programme_code}" if rule.programme_code else ""))
        )
        goes = ", ".join(
            part
            for part in (
                f"ministry {rule.ministry_code}" if rule.ministry_code else "",
                f"office {rule.office_level.value}" if rule.office_level else "",
                f"also {rule.also_ministry_code}" if rule.also_ministry_code else "",
            )
            if part
        )
        until = f" until {rule.effective_to}" if rule.effective_to else ""
        click.echo(f"  {what:34s} -> {goes}  (from {rule.effective_from}{until}) {rule.note or ''}")


@grievance_cli.command("act")
@click.argument("number")
@click.argument("action", type=click.Choice(["acknowledge", "start", "resolve", "reject", "transfer"]))
@click.option("--note", default=None, help="Why (required to resolve, reject or transfer).")
@click.option("--by", "by", required=True, help="Who acts (staff e-mail or name).")
@click.option("--to", "to_ministry", default=None, help="Ministry code, for transfer.")
def act_command(number: str, action: str, note: str | None, by: str, to_ministry: str | None) -> None:
    """Perform a staff action on a complaint."""
    from grievance.actions import Action, ActionRefused, act
    from grievance.status import TransitionNotAllowed

    grievance = _load(number)
    try:
        act(db_session(), grievance, Action(action), by, note, to_ministry)
    except (ActionRefused, TransitionNotAllowed) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"complaint {grievance.tracking_number} is now {grievance.status.value}")


@grievance_cli.command("sweep")
def sweep() -> None:
    """Re-enqueue outbox work that is not done (also run by the scheduler)."""
    from grievance.jobs import sweep_outbox

    click.echo(f"{sweep_outbox(older_than_seconds=0)} job(s) enqueued")


@grievance_cli.command("escalate")
def escalate() -> None:
    """Escalate complaints past their deadline (also run by the scheduler)."""
    from grievance.jobs import escalate_breached

    click.echo(f"{escalate_breached()} complaint(s) escalated")
