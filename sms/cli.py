"""`flask --app wsgi sms campaign|sweep`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from registry.validation import InvalidValue


@click.group("sms")
def sms_cli() -> None:
    """SMS campaigns and housekeeping."""


@sms_cli.command("campaign")
@click.option("--programme", required=True, help="Programme code, e.g. OAA.")
@click.option("--cycle", required=True, help="Payment cycle, YYYY-MM.")
@click.option("--template", required=True, help="payment_sent or payment_scheduled.")
@click.option(
    "--district", default=None, help="District by any spelling of its name, code or BBS geo-code (default: all)."
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@click.option("--again", is_flag=True, help="Send a campaign that has finished once more.")
@with_appcontext
def campaign_command(
    programme: str, cycle: str, template: str, district: str | None, batch_size: int, again: bool
) -> None:
    """Send one message to everyone the filter selects. Run the same command again to resume
    an interrupted campaign: nobody gets a second copy."""
    from foundation.db import db_session
    from notices import campaigns
    from registry.imports.lookups import Lookups
    from registry.validation import parse_cycle

    session = db_session()
    lookups = Lookups.load(session)
    try:
        spec = campaigns.CampaignSpec(
            template=template,
            programme_code=lookups.programme(programme),
            cycle=parse_cycle(cycle),
            district_id=lookups.district(district) if district else None,
        )
        campaign, resumed = campaigns.start_or_resume(session, spec, again=again)
    except (InvalidValue, campaigns.CampaignError) as exc:
        raise click.ClickException(str(exc)) from None
    if spec.district_id is not None:  # say which district a spelling or code was taken for
        district_name = lookups.places.places[("district", spec.district_id)].name_en
        click.echo(f"district: {district_name} (code {spec.district_id})", err=True)
    total = campaigns.remaining(session, campaign)
    click.echo(f"campaign {campaign.id}: {'resuming, ' if resumed else ''}{total} recipient(s) to go", err=True)
    with click.progressbar(length=total, label="queueing", file=sys.stderr) as bar:
        campaigns.run(session, campaign, resumed=resumed, batch_size=batch_size, progress=bar.update)
    click.echo(
        f"campaign {campaign.id}: {campaign.messages} message(s) queued, "
        f"{campaign.skipped} recipient(s) skipped (opted out)"
    )


@sms_cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Queue messages and alerts that were never queued (also run by the scheduler)."""
    from notices.alerts import sweep_alerts
    from outbound_sms.sending import sweep_messages

    click.echo(f"{sweep_messages()} message(s) and {sweep_alerts(older_than_seconds=0)} alert(s) queued")
