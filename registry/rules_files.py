"""Eligibility rules as a file: `flask --app wsgi registry rules export|import FILE`.

The file is the seed's format with the day each set takes effect:
``programme,effective_from,criterion,params,source``. A programme's rows with the same
``effective_from`` are one set, in force from that day until the programme's next set.
The date is per set rather than per file because a programme's criteria only make sense
together (an age threshold with its income ceiling) and budgets change one programme's
thresholds at a time; per row rather than one date for the whole file, so one file can
hold a programme's rules now and the set that replaces them on 1 July, and export can
write everything the database holds.

An import is all-or-nothing and the file is the whole truth: a set it lacks is removed
(and shown so by ``--dry-run``). Every programme needs a set in force on the day of the
import: a programme without rules would find everyone eligible.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from foundation import rule_changes
from foundation.rule_changes import Difference, FileProblem, Row, RulesFileRefused
from registry.eligibility.criteria import CRITERIA
from registry.eligibility.engine import (
    RULES_KIND,
    CitizenFacts,
    forget_cached_rulebook,
    rules_day,
)
from registry.models import EligibilityRule, Programme

COLUMNS = ("programme", "effective_from", "criterion", "params", "source")
REQUIRED = COLUMNS[:4]

# Facts every criterion can be tried on, so parameters of the wrong type ("bdt": "ten
# thousand") are refused at the import instead of failing a citizen's check.
_TRIAL_FACTS = CitizenFacts(
    age=70,
    gender="F",
    marital_status="widowed",
    disability=True,
    household_income=Decimal(5000),
    land=Decimal(10),
    vulnerability=50,
    district_name="Dhaka",
    upazila_id=1,
    active_programmes=frozenset(),
)


def _params_text(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True)


def _record(programme: str, effective_from: dt.date, position: int, criterion: str, params: dict, source: str | None):
    return {
        "programme": programme,
        "effective_from": effective_from.isoformat(),
        "criterion": criterion,
        "params": _params_text(params),
        "source": source or "",
        "position": str(position + 1),  # its place in the set, which orders the explanation
    }


def _key(record: dict[str, str]) -> tuple[str, ...]:
    return (record["programme"], record["effective_from"], record["criterion"])


def current_records(session: Session) -> list[dict[str, str]]:
    """What the database holds, in the programmes' order: the export's rows."""
    rows = session.execute(
        select(EligibilityRule)
        .join(Programme, Programme.code == EligibilityRule.programme_code)
        .order_by(Programme.position, Programme.code, EligibilityRule.effective_from, EligibilityRule.position)
    ).scalars()
    return [_record(r.programme_code, r.effective_from, r.position, r.criterion, r.params, r.source) for r in rows]


def export_rules(session: Session, path: Path | None) -> str:
    return rule_changes.write_rules_file(path, COLUMNS, current_records(session))


@dataclass
class Plan:
    """A checked file: the rows it would write and how they differ from the database."""

    rules: list[EligibilityRule]
    difference: Difference


def _parse_params(raw: str) -> dict[str, Any]:
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at character {exc.pos + 1})") from None
    if not isinstance(params, dict):
        raise ValueError('must be a JSON object, e.g. {"bdt": 10000}')
    return params


def _check_params(criterion: str, params: dict[str, Any], programmes: set[str]) -> str | None:
    definition = CRITERIA[criterion]
    missing = [name for name in definition.required_params if name not in params]
    if missing:
        return f"criterion {criterion} needs {', '.join(missing)}"
    named = params.get("programmes")
    if isinstance(named, list):
        unknown = [code for code in named if code not in programmes]
        if unknown:
            return f"unknown programme(s) {', '.join(map(str, unknown))}"
    try:
        definition.evaluate(_TRIAL_FACTS, params)
    except (TypeError, ValueError, ArithmeticError, KeyError) as exc:
        return f"criterion {criterion} cannot use these values ({type(exc).__name__}: {exc})"
    return None


def _parse_row(row: Row, programmes: set[str], problems: list[FileProblem]) -> EligibilityRule | None:
    values = row.values
    found = len(problems)

    def bad(column: str, reason: str) -> None:
        problems.append(FileProblem(row.line, column, reason))

    programme = values["programme"].upper()
    if programme not in programmes:
        bad("programme", f"unknown programme {values['programme']!r}; use one of {', '.join(sorted(programmes))}")
    effective_from = None
    try:
        effective_from = dt.date.fromisoformat(values["effective_from"])
    except ValueError:
        bad("effective_from", f"{values['effective_from']!r} is not a date (YYYY-MM-DD)")
    criterion = values["criterion"]
    if criterion not in CRITERIA:
        bad("criterion", f"unknown criterion {criterion!r}; use one of {', '.join(sorted(CRITERIA))}")
    params: dict[str, Any] = {}
    try:
        params = _parse_params(values["params"])
    except ValueError as exc:
        bad("params", str(exc))
    else:
        if criterion in CRITERIA and (reason := _check_params(criterion, params, programmes)):
            bad("params", reason)
    if len(problems) > found or effective_from is None:
        return None
    return EligibilityRule(
        programme_code=programme,
        effective_from=effective_from,
        criterion=criterion,
        params=params,
        source=values.get("source") or None,
    )


def plan_import(session: Session, path: Path, today: dt.date | None = None) -> Plan:
    """Read and check the whole file, and compare it with the database; nothing is written.
    Raises RulesFileRefused with every problem found."""
    today = today or rules_day()
    rows = rule_changes.read_rules_file(path, REQUIRED, COLUMNS[4:])
    programmes = set(session.scalars(select(Programme.code)))
    problems: list[FileProblem] = []
    rules: list[EligibilityRule] = []
    seen: dict[tuple, int] = {}
    positions: dict[tuple, int] = {}
    for row in rows:
        rule = _parse_row(row, programmes, problems)
        if rule is None:
            continue
        key = (rule.programme_code, rule.effective_from, rule.criterion)
        if key in seen:
            problems.append(
                FileProblem(row.line, "criterion", f"{rule.criterion} is already in this set on line {seen[key]}")
            )
            continue
        seen[key] = row.line
        group = (rule.programme_code, rule.effective_from)
        rule.position = positions.get(group, 0)
        positions[group] = rule.position + 1
        rules.append(rule)
    if not rows:
        problems.append(FileProblem(None, None, "no rules in the file (every programme needs its rules)"))
    elif not problems:
        starts: dict[str, list[dt.date]] = {}
        for rule in rules:
            starts.setdefault(rule.programme_code, []).append(rule.effective_from)
        for code in sorted(programmes):
            if not any(day <= today for day in starts.get(code, ())):
                problems.append(
                    FileProblem(
                        None,
                        None,
                        f"programme {code} would have no rules in force on {today}: "
                        "a programme without rules finds everyone eligible",
                    )
                )
    if problems:
        raise RulesFileRefused(problems)
    wanted = [_record(r.programme_code, r.effective_from, r.position, r.criterion, r.params, r.source) for r in rules]
    found = rule_changes.difference({_key(r): r for r in current_records(session)}, {_key(r): r for r in wanted})
    return Plan(rules, found)


def apply_import(session: Session, path: Path, by: str, reason: str, today: dt.date | None = None) -> Plan:
    """Check the file and, if it differs, replace the rules and record the change, in one
    transaction the caller commits. Nothing changes if anything is wrong."""
    refused = rule_changes.check_signature(by, reason)
    if refused:
        raise RulesFileRefused(refused)
    rule_changes.lock(session, RULES_KIND)
    plan = plan_import(session, path, today)
    if plan.difference:
        session.execute(delete(EligibilityRule))
        session.add_all(plan.rules)
        rule_changes.record(session, RULES_KIND, by, reason, path.name, plan.difference)
    return plan


def after_commit() -> None:
    """This process's rule book at once; other processes' within a second (the version)."""
    forget_cached_rulebook()
