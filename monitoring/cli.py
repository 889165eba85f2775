"""`flask --app wsgi signals report [--out DIR]`: every signal as CSV (monitoring.report)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

from foundation.db import db_session
from monitoring.outlets import BurstRule
from monitoring.report import write_report
from monitoring.signals import Settings

signals_cli = AppGroup("signals", help="Leakage signals for the monitoring division.")


@signals_cli.command("report")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the CSV files (default: signals-<date>).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day ages are counted on (default: today).",
)
@click.option("--burst-count", type=click.IntRange(min=2), default=BurstRule.count, show_default=True)
@click.option("--burst-minutes", type=click.IntRange(min=1), default=BurstRule.minutes, show_default=True)
def report(out: Path | None, as_of: dt.datetime | None, burst_count: int, burst_minutes: int) -> None:
    """Write one CSV per signal and a README.txt saying what each finds; identifiers masked."""
    day = as_of.date() if as_of else dt.date.today()
    folder = out or Path(f"signals-{day.isoformat()}")
    settings = Settings(as_of=day, burst=BurstRule(burst_count, burst_minutes))
    written = write_report(db_session(), folder, settings)
    for name, count in written.items():
        click.echo(f"{name}.csv: {count} row(s)")
    click.echo(f"signals written to {folder}")
