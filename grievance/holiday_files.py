"""The SLA calendar as a file: `flask --app wsgi grievance holidays export|import FILE`.

The calendar is the holidays package, the gazette file and the changes staff record
(grievance/calendar.py); this file is the calendar as it results, one row per holiday:
``day, name_en, name_bn, confirmed`` (``no`` only for a lunar date the package estimated).
A ministry edits it after a notification and imports it: the difference becomes the same
recorded changes `holidays add|confirm|remove` make (each moving the deadlines it
affects, in their trails), and the import itself is recorded with who, when and why.

The file is the whole truth for each year it names. The days are their own effective
dates: a holiday counts on its day, so there is no separate ``effective_from``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from foundation import clock, rule_changes
from foundation.rule_changes import Difference, FileProblem, RulesFileRefused
from grievance.calendar import calendar
from grievance.holiday_changes import NAME_LENGTH, ChangeRefused, MovedDeadline, record_change
from grievance.models import HolidayAction
from grievance.sla import DHAKA

HOLIDAYS_KIND = "holidays"
COLUMNS = ("day", "name_en", "name_bn", "confirmed")
YES, NO = "yes", "no"


def _record(day: dt.date, name_en: str, name_bn: str, confirmed: bool) -> dict[str, str]:
    return {"day": day.isoformat(), "name_en": name_en, "name_bn": name_bn, "confirmed": YES if confirmed else NO}


def current_records(session: Session, years: tuple[int, ...]) -> dict[tuple[str, ...], dict[str, str]]:
    days = calendar(session, years)
    return {(day.isoformat(),): _record(day, h.name_en, h.name_bn, h.confirmed) for day, h in sorted(days.items())}


def _export_years() -> tuple[int, ...]:
    """This year and the next: every deadline open now falls in them."""
    year = clock.utcnow().astimezone(DHAKA).year
    return (year, year + 1)


def export_holidays(session: Session, path: Path | None) -> str:
    return rule_changes.write_rules_file(path, COLUMNS, list(current_records(session, _export_years()).values()))


@dataclass
class Plan:
    difference: Difference
    lines: dict[str, int] = field(default_factory=dict)  # day -> its line in the file
    moved: list[MovedDeadline] = field(default_factory=list)


def plan_import(session: Session, path: Path) -> Plan:
    rows = rule_changes.read_rules_file(path, COLUMNS)
    problems: list[FileProblem] = []
    wanted: dict[tuple[str, ...], dict[str, str]] = {}
    lines: dict[str, int] = {}
    for row in rows:
        values, line = row.values, row.line
        found = len(problems)
        try:
            day = dt.date.fromisoformat(values["day"])
        except ValueError:
            problems.append(FileProblem(line, "day", f"{values['day']!r} is not a date (YYYY-MM-DD)"))
            continue
        for column in ("name_en", "name_bn"):
            if not values[column]:
                problems.append(FileProblem(line, column, "every holiday has a name in English and in Bangla"))
            elif len(values[column]) > NAME_LENGTH:
                problems.append(FileProblem(line, column, f"at most {NAME_LENGTH} characters"))
        if values["confirmed"] not in (YES, NO):
            problems.append(FileProblem(line, "confirmed", f"{values['confirmed']!r} is not {YES} or {NO}"))
        if day.isoformat() in lines:
            problems.append(FileProblem(line, "day", f"{day} is already on line {lines[day.isoformat()]}"))
        if len(problems) == found:
            lines[day.isoformat()] = line
            wanted[(day.isoformat(),)] = _record(day, values["name_en"], values["name_bn"], values["confirmed"] == YES)
    if not rows:
        problems.append(FileProblem(None, None, "no holidays in the file"))
    if problems:
        raise RulesFileRefused(problems)
    years = tuple(sorted({int(day[:4]) for day in lines}))
    found = rule_changes.difference(current_records(session, years), wanted)
    for record in found.added:
        if record["confirmed"] == NO:
            reason = "only the package estimates a date: a new holiday is confirmed"
            problems.append(FileProblem(lines[record["day"]], "confirmed", reason))
    for before, after in found.changed:
        if after["confirmed"] == NO:
            reason = (
                "a confirmed holiday cannot become an estimate"
                if before["confirmed"] == YES
                else "a changed holiday is one the gazette gives: confirmed is yes"
            )
            problems.append(FileProblem(lines[after["day"]], "confirmed", reason))
    if problems:
        raise RulesFileRefused(problems)
    return Plan(found, lines)


def apply_import(session: Session, path: Path, by: str, reason: str) -> Plan:
    """Record each day's change (moving the deadlines it affects) and the import, in one
    transaction the caller commits."""
    refused = rule_changes.check_signature(by, reason)
    if refused:
        raise RulesFileRefused(refused)
    rule_changes.lock(session, HOLIDAYS_KIND)
    plan = plan_import(session, path)
    found = plan.difference
    steps = [(HolidayAction.REMOVE, record, None) for record in found.removed]
    steps += [(HolidayAction.CONFIRM, after, plan.lines[after["day"]]) for _, after in found.changed]
    steps += [(HolidayAction.ADD, record, plan.lines[record["day"]]) for record in found.added]
    for action, record, line in steps:
        try:
            recorded = record_change(
                session, dt.date.fromisoformat(record["day"]), action, by, record["name_en"], record["name_bn"]
            )
        except ChangeRefused as exc:
            raise RulesFileRefused([FileProblem(line, "day", str(exc))]) from None
        plan.moved += recorded.recounted + recorded.moved
    if found:
        rule_changes.record(session, HOLIDAYS_KIND, by, reason, path.name, found)
    return plan
