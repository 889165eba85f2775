"""The `export FILE`, `import FILE [--dry-run]` and `history` commands every kind of rules
file has (`registry rules`, `grievance routes`, `grievance holidays`), the same everywhere."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from foundation import rule_changes
from foundation.db import db_session
from foundation.rule_changes import RulesFileRefused


def add_rules_commands(
    group: click.Group,
    kind: str,
    *,
    export: Callable[[Any, Path | None], str],
    plan: Callable[[Any, Path], Any],
    apply: Callable[[Any, Path, str, str], Any],
    after_commit: Callable[[], None] = lambda: None,
) -> None:
    """Add the three commands to ``group``; ``plan`` and ``apply`` return an object with a
    ``difference`` and raise RulesFileRefused with every problem."""

    @group.command("export")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def export_command(file: Path) -> None:
        """Write the rules to FILE (- for standard output), in the format import reads."""
        content = export(db_session(), None if str(file) == "-" else file)
        if str(file) == "-":
            click.echo(content, nl=False)
        else:
            click.echo(f"{kind} rules written to {file}", err=True)

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check FILE and print the difference; change nothing.")
    @click.option("--reason", default=None, help="Why the rules change (kept in the record); required to apply.")
    @click.option("--by", "by", default=None, help="Who applies the change (default: your login name).")
    def import_command(file: Path, dry_run: bool, reason: str | None, by: str | None) -> None:
        """Check FILE and replace the rules with it (all or nothing), recording who, when and why."""
        session = db_session()
        try:
            checked = plan(session, file) if dry_run else apply(session, file, rule_changes.who(by), reason or "")
        except RulesFileRefused as refused:
            session.rollback()
            for problem in refused.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{file.name}: {len(refused.problems)} problem(s); nothing was changed", err=True)
            sys.exit(1)
        for line in rule_changes.describe(checked.difference):
            click.echo(line)
        for moved in getattr(checked, "moved", ()):  # the calendar's: deadlines that follow it
            click.echo(f"  complaint {moved.tracking_number}: deadline {moved.before} -> {moved.after}")
        if dry_run:
            session.rollback()
            click.echo("dry run: nothing was changed")
            return
        session.commit()
        after_commit()
        if checked.difference:
            who = rule_changes.who(by)
            click.echo(f"applied and recorded (by {who}); running processes take it up without a restart")
        else:
            click.echo("nothing to apply; nothing recorded")

    @group.command("history")
    @click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
    def history_command(limit: int) -> None:
        """The changes applied, newest first: when, who, why and how many rules."""
        for change in rule_changes.history(db_session(), kind, limit):
            click.echo(
                f"{change.changed_at:%Y-%m-%d %H:%M} UTC  {change.changed_by}  {change.file_name}: "
                f"{change.added} added, {change.changed} changed, {change.removed} removed  "
                f"({change.reason})"
            )
