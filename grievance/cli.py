"""`flask --app wsgi grievance show|routes|act|sweep|escalate|holidays` (`routes export|import`: route_files)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from foundation.db import db_session
from foundation.rules_cli import add_rules_commands
from grievance import holiday_files, route_files
from grievance.holiday_files import HOLIDAYS_KIND
from grievance.routing import ROUTES_KIND

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
    from foundation.masking import mask_nid

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


@grievance_cli.group("routes", invoke_without_command=True)
@click.option("--on", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date (default today).")
@click.pass_context
def routes(ctx: click.Context, day: dt.datetime | None) -> None:
    """List the routing rules in force; export them, or import a changed file (dated, recorded)."""
    if ctx.invoked_subcommand is not None:
        return
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


add_rules_commands(
    routes,
    ROUTES_KIND,
    export=route_files.export_routes,
    plan=route_files.plan_import,
    apply=route_files.apply_import,
)


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
    from grievance.outbox import sweep_outbox

    click.echo(f"{sweep_outbox(older_than_seconds=0)} job(s) enqueued")


@grievance_cli.command("escalate")
def escalate() -> None:
    """Escalate complaints past their deadline (also run by the scheduler)."""
    from grievance.jobs import escalate_breached

    click.echo(f"{escalate_breached()} complaint(s) escalated")


DAY = click.DateTime(["%Y-%m-%d"])


@grievance_cli.group("holidays", invoke_without_command=True)
@click.option("--year", type=click.IntRange(1990, 2100), default=None, help="Calendar year (default this year).")
@click.pass_context
def holidays_cli(ctx: click.Context, year: int | None) -> None:
    """The SLA calendar: list it, record a gazette change, or work out a deadline."""
    if ctx.invoked_subcommand is not None:
        return
    from foundation.clock import utcnow
    from grievance.calendar import year_calendar
    from grievance.sla import DHAKA, WEEKEND

    year = year or utcnow().astimezone(DHAKA).year
    days = year_calendar(db_session(), year)
    click.echo(f"holidays of {year} (Friday and Saturday are the weekend):")
    for holiday in days:
        weekend = "  (weekend)" if holiday.day.weekday() in WEEKEND else ""
        note = f": {holiday.note}" if holiday.note else ""
        click.echo(
            f"  {holiday.day} {holiday.day:%a}  {holiday.name_en} / {holiday.name_bn}  [{holiday.source.value}{note}]"
            + weekend
        )
    working = sum(1 for holiday in days if holiday.day.weekday() not in WEEKEND)
    estimated = sum(1 for holiday in days if not holiday.confirmed)
    click.echo(f"{len(days)} holiday(s), {working} on a working day, {estimated} still estimated")


def _echo_moved(moved, what: str) -> None:
    for each in moved:
        click.echo(f"  complaint {each.tracking_number}: deadline {each.before} -> {each.after}")
    click.echo(f"{len(moved)} open complaint deadline(s) moved{what}")


def _record(day: dt.datetime, action: str, name: str | None, name_bn: str | None, by: str) -> None:
    from grievance.holiday_changes import ChangeRefused, record_change
    from grievance.models import HolidayAction

    session = db_session()
    try:
        recorded = record_change(session, day.date(), HolidayAction(action), by, name, name_bn)
    except ChangeRefused as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    if recorded.recounted:
        click.echo("first, deadlines that had not followed the last calendar update (gazette file or package):")
        _echo_moved(recorded.recounted, " by that update")
    change = recorded.change
    click.echo(f"recorded: {action} {change.day} by {change.recorded_by}")
    _echo_moved(recorded.moved, "")


def _change_command(action: str, help_text: str):
    @holidays_cli.command(action, help=help_text)
    @click.argument("day", metavar="DATE", type=DAY)
    @click.option("--name", default=None, help="The holiday's English name (needed to add one).")
    @click.option("--name-bn", default=None, help="Its Bangla name (default: the calendar's, or --name).")
    # Who recorded a change is the audit trail's point: a person, not the server's login name.
    @click.option("--by", "by", required=True, help="Who records it (staff e-mail or name).")
    def command(day: dt.datetime, name: str | None, name_bn: str | None, by: str) -> None:
        _record(day, action, name, name_bn, by)

    return command


_change_command("confirm", "Confirm a holiday's date as the gazette gives it (an estimated Eid, say).")
_change_command("add", "Add a holiday the calendar lacks (a moved Eid, a holiday by executive order).")
_change_command("remove", "Remove a day that is not a holiday after all (an Eid estimated on the wrong day).")


add_rules_commands(
    holidays_cli,
    HOLIDAYS_KIND,
    export=holiday_files.export_holidays,
    plan=holiday_files.plan_import,
    apply=holiday_files.apply_import,
)


@holidays_cli.command("recount")
@click.option("--by", "by", default="sla-calendar", show_default=True, help="Who the trail names for the moves.")
def recount_command(by: str) -> None:
    """Recount every open deadline with the calendar as it is now (after the gazette file or
    the holidays package changed; `db upgrade` runs it too)."""
    from grievance.holiday_changes import ChangeRefused, recount

    session = db_session()
    try:
        moved = recount(session, by)
    except ChangeRefused as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    _echo_moved(moved, "")


@holidays_cli.command("deadline")
@click.option("--from", "start", type=DAY, required=True, help="Filing (or routing) date, Dhaka time.")
@click.option("--working-days", type=click.IntRange(1, 366), default=None, help="Default: the first tier's limit.")
def deadline(start: dt.datetime, working_days: int | None) -> None:
    """Print the deadline the SLA clock sets for a complaint whose clock starts on a date."""
    from grievance.calendar import off_days
    from grievance.sla import DHAKA, add_working_days, clock_years, tier_limit

    days = working_days or tier_limit(1)
    begins = dt.datetime.combine(start.date(), dt.time(12), DHAKA)
    due = add_working_days(begins, days, off_days(db_session(), clock_years(start.date()))).astimezone(DHAKA)
    click.echo(f"{days} working days from {start:%Y-%m-%d} ({start:%a}): due {due:%Y-%m-%d} ({due:%a}) 23:59 Dhaka")
