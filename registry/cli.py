"""`flask --app wsgi registry import|rescore|check` and `outlets token` (`demo-data`: sahayata/demo.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from foundation.db import db_session
from registry.rules_cli import rules_cli

registry_cli = AppGroup("registry", help="The social-protection registry.")
registry_cli.add_command(rules_cli)
outlets_cli = AppGroup("outlets", help="Food dealers and clinics that redeem e-tokens.")


@outlets_cli.command("token")
@click.argument("code")
def outlet_token_command(code: str) -> None:
    """Print a new bearer token for outlet CODE's app, once; it replaces the old one."""
    from registry.outlets import issue_token

    token = issue_token(db_session(), code)
    if token is None:
        raise click.ClickException(f"no outlet with code {code!r} (import outlets first)")
    click.echo(token)
    click.echo("shown once: only its hash is kept; a new token replaces this one", err=True)


@outlets_cli.command("revoke")
@click.argument("code")
def outlet_revoke_command(code: str) -> None:
    """Lock outlet CODE's app out now (a lost phone, a dismissed dealer); `outlets token` issues a new one."""
    from registry.outlets import revoke_token

    if not revoke_token(db_session(), code):
        raise click.ClickException(f"no outlet with code {code!r} (import outlets first)")
    click.echo(f"outlet {code}: token revoked; its app is refused until a new token is issued")


@registry_cli.command("import")
@click.argument("kind", type=click.Choice(["citizens", "enrolments", "payments", "etokens", "outlets"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows; write the bad ones to a reject file.")
@click.option(
    "--rejects", type=click.Path(dir_okay=False, path_type=Path), help="Reject file (default FILE.rejects.csv)."
)
def import_command(kind: str, file: Path, skip_bad: bool, rejects: Path | None) -> None:
    """Import a CSV FILE of KIND (or JSON lines: FILE.jsonl or .ndjson, one object per line
    with the CSV's columns as keys). Any bad row means nothing is written, unless --skip-bad."""
    from flask import current_app

    from registry.imports.runner import ImportFileError, count_data_lines, run_import
    from registry.imports.sources import csv_rows, json_lines_rows

    source = json_lines_rows if file.suffix.lower() in (".jsonl", ".ndjson") else csv_rows

    total = count_data_lines(file)
    try:
        with click.progressbar(length=total, label=f"importing {kind}", file=sys.stderr) as bar:
            report = run_import(
                db_session(),
                kind,
                file,
                skip_bad=skip_bad,
                reject_path=rejects,
                progress=bar.update,
                batch_size=current_app.config["SAHAYATA_IMPORT_BATCH_SIZE"],
                source=source,
            )
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if not report.committed:
        click.echo(
            f"{len(report.problems)} bad row(s) in {report.rows_read}: nothing was written "
            "(fix them, or use --skip-bad to import the good rows)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{report.rows_written} of {report.rows_read} {kind} rows imported")
    if report.reject_path:
        click.echo(f"{len(report.problems)} bad row(s) written to {report.reject_path}")


@registry_cli.command("rescore")
@click.option("--all", "everything", is_flag=True, help="Every household (after the score's thresholds changed).")
def rescore_command(everything: bool) -> None:
    """Rescore households whose score does not yet count a member who is now elderly
    (the scheduler does this daily), or --all households."""
    from foundation.db import transaction
    from registry.households import households_with_new_elders, rescore_all_households, rescore_households

    today = dt.date.today()
    with transaction() as session:
        if everything:
            changed = rescore_all_households(session, today)
        else:
            changed = rescore_households(session, households_with_new_elders(session, today), today)
    click.echo(f"{changed} household score(s) changed")


@registry_cli.command("check")
@click.argument("nid")
@click.option("--programme", default=None, help="Programme code (default: all).")
@click.option("--lang", type=click.Choice(["bn", "en"]), default="en", show_default=True)
def check_command(nid: str, programme: str | None, lang: str) -> None:
    """Explain a citizen's eligibility for each programme."""
    from registry.eligibility.engine import check_citizen, load_citizen_for_check, rulebook
    from registry.eligibility.explain import describe_criterion, programme_name, summarise
    from registry.validation import InvalidValue, parse_nid

    session = db_session()
    try:
        citizen = load_citizen_for_check(session, parse_nid(nid))
    except InvalidValue as exc:
        raise click.ClickException(str(exc)) from None
    if citizen is None:
        raise click.ClickException("no citizen with this NID")
    book = rulebook(session)
    code = programme.upper() if programme else None
    if code and code not in book.rules:
        raise click.ClickException(f"unknown programme {programme!r}; use one of {', '.join(sorted(book.rules))}")
    for result in check_citizen(session, citizen, code):
        name = programme_name(result.programme_code, lang, book)
        click.echo(f"{result.programme_code} {name}: {summarise(result, lang, book)}")
        for criterion in result.criteria:
            click.echo(f"    [{criterion.outcome.value}] {describe_criterion(criterion, lang, book)}")
