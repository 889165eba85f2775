"""Routing rules as a file: `flask --app wsgi grievance routes export|import FILE`.

The file is the seed's format (grievance/seed/routing_rules.csv): ``programme, category,
ministry, office_level, also_ministry, effective_from, effective_to, note``. Each row
carries its own dates, as the table always has: a programme moves to another ministry on
a day while every other rule stays, so a rule is closed (``effective_to``) and its
successor opened, in the same file. A complaint is routed by the rules in force on the day
it is routed (grievance/routing.py).

An import is all-or-nothing and the file is the whole truth (a rule it lacks is removed,
and ``--dry-run`` shows it). A rule is named by its programme, category and first day; two
rules for the same programme and category may not be in force on the same day, and
complaints about no programme always need a base rule in force on the day of the import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from foundation import clock, rule_changes
from foundation.rule_changes import Difference, FileProblem, Row, RulesFileRefused
from grievance.models import Category, OfficeLevel, RoutingRule
from grievance.routing import ROUTES_KIND
from grievance.sla import DHAKA
from registry.models import Ministry, Programme

COLUMNS = (
    "programme",
    "category",
    "ministry",
    "office_level",
    "also_ministry",
    "effective_from",
    "effective_to",
    "note",
)


def _record(rule: RoutingRule) -> dict[str, str]:
    return {
        "programme": rule.programme_code or "",
        "category": rule.category.value if rule.category else "",
        "ministry": rule.ministry_code or "",
        "office_level": rule.office_level.value if rule.office_level else "",
        "also_ministry": rule.also_ministry_code or "",
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
        "note": rule.note or "",
    }


def _key(record: dict[str, str]) -> tuple[str, ...]:
    return (record["programme"], record["category"], record["effective_from"])


def current_records(session: Session) -> list[dict[str, str]]:
    """The rules in the order they were loaded (the seed's, then each import's file's)."""
    return [_record(rule) for rule in session.scalars(select(RoutingRule).order_by(RoutingRule.id))]


def export_routes(session: Session, path: Path | None) -> str:
    return rule_changes.write_rules_file(path, COLUMNS, current_records(session))


@dataclass
class Plan:
    rules: list[RoutingRule]
    difference: Difference


def _choice(value: str, choices: type, column: str, problems: list[FileProblem], line: int):
    if not value:
        return None
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(member.value for member in choices)
        problems.append(FileProblem(line, column, f"{value!r} is not one of {allowed}"))
        return None


def _day(value: str, column: str, problems: list[FileProblem], line: int) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(FileProblem(line, column, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _parse_row(row: Row, programmes: set[str], ministries: set[str], problems: list[FileProblem]):
    values, line = row.values, row.line
    found = len(problems)
    programme = values["programme"].upper() or None
    if programme is not None and programme not in programmes:
        problems.append(FileProblem(line, "programme", f"unknown programme {values['programme']!r}"))
    category = _choice(values["category"], Category, "category", problems, line)
    level = _choice(values["office_level"], OfficeLevel, "office_level", problems, line)
    codes = {}
    for column in ("ministry", "also_ministry"):
        code = values[column].upper() or None
        if code is not None and code not in ministries:
            problems.append(FileProblem(line, column, f"unknown ministry {values[column]!r}"))
        codes[column] = code
    if category is None and codes["ministry"] is None and len(problems) == found:
        problems.append(FileProblem(line, "ministry", "a base rule (no category) names the ministry it goes to"))
    if category is not None and not (codes["ministry"] or level or codes["also_ministry"]):
        problems.append(FileProblem(line, "ministry", "a category rule sets a ministry, office or second ministry"))
    starts = _day(values["effective_from"], "effective_from", problems, line)
    if starts is None and values["effective_from"] == "":
        problems.append(FileProblem(line, "effective_from", "every rule has a first day (YYYY-MM-DD)"))
    ends = _day(values["effective_to"], "effective_to", problems, line)
    if starts and ends and ends < starts:
        problems.append(FileProblem(line, "effective_to", f"{ends} is before effective_from {starts}"))
    if len(problems) > found or starts is None:
        return None
    return RoutingRule(
        programme_code=programme,
        category=category,
        ministry_code=codes["ministry"],
        office_level=level,
        also_ministry_code=codes["also_ministry"],
        effective_from=starts,
        effective_to=ends,
        note=values["note"] or None,
    )


def _overlaps(first: RoutingRule, second: RoutingRule) -> bool:
    far = dt.date.max
    return first.effective_from <= (second.effective_to or far) and second.effective_from <= (first.effective_to or far)


def routing_day() -> dt.date:
    return clock.utcnow().astimezone(DHAKA).date()


def plan_import(session: Session, path: Path, today: dt.date | None = None) -> Plan:
    """Read and check the whole file and compare it with the database; nothing is written."""
    today = today or routing_day()
    rows = rule_changes.read_rules_file(path, COLUMNS[:7], COLUMNS[7:])
    programmes = set(session.scalars(select(Programme.code)))
    ministries = set(session.scalars(select(Ministry.code)))
    problems: list[FileProblem] = []
    parsed: list[tuple[int, RoutingRule]] = []
    for row in rows:
        rule = _parse_row(row, programmes, ministries, problems)
        if rule is not None:
            parsed.append((row.line, rule))
    # Two rules of one programme and category in force on one day: which wins would depend
    # on the order they were loaded in.
    for index, (line, rule) in enumerate(parsed):
        for earlier_line, earlier in parsed[:index]:
            if (earlier.programme_code, earlier.category) == (rule.programme_code, rule.category) and _overlaps(
                earlier, rule
            ):
                problems.append(
                    FileProblem(line, "effective_from", f"overlaps the rule on line {earlier_line} for the same days")
                )
                break
    if not problems and not any(
        rule.programme_code is None
        and rule.category is None
        and rule.effective_from <= today
        and (rule.effective_to is None or rule.effective_to >= today)
        for _, rule in parsed
    ):
        problems.append(
            FileProblem(None, None, f"no base rule for complaints about no programme is in force on {today}")
        )
    if problems:
        raise RulesFileRefused(problems)
    rules = [rule for _, rule in parsed]
    found = rule_changes.difference(
        {_key(r): r for r in current_records(session)}, {_key(r): r for r in map(_record, rules)}
    )
    return Plan(rules, found)


def apply_import(session: Session, path: Path, by: str, reason: str, today: dt.date | None = None) -> Plan:
    """Check the file and, if it differs, replace the rules and record the change, in one
    transaction the caller commits."""
    refused = rule_changes.check_signature(by, reason)
    if refused:
        raise RulesFileRefused(refused)
    rule_changes.lock(session, ROUTES_KIND)
    plan = plan_import(session, path, today)
    if plan.difference:
        session.execute(delete(RoutingRule))
        session.add_all(plan.rules)
        rule_changes.record(session, ROUTES_KIND, by, reason, path.name, plan.difference)
    return plan
