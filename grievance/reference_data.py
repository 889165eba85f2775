"""Routing rules, first loaded from grievance/seed/ by `db upgrade` (then changed by
`grievance routes import`: grievance/route_files.py), and the holiday gazette file checked
then (the SLA calendar reads it from the file: see grievance/calendar.py)."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation import rule_changes
from foundation.rule_changes import RuleChange
from grievance.calendar import gazette
from grievance.models import Category, OfficeLevel, RoutingRule
from grievance.route_files import current_records
from grievance.routing import ROUTES_KIND

SEED_DIR = Path(__file__).resolve().parent / "seed"
log = logging.getLogger(__name__)


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEED_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def seed_routing_rules() -> list[RoutingRule]:
    return [
        RoutingRule(
            programme_code=r["programme"] or None,
            category=Category(r["category"]) if r["category"] else None,
            ministry_code=r["ministry"] or None,
            office_level=OfficeLevel(r["office_level"]) if r["office_level"] else None,
            also_ministry_code=r["also_ministry"] or None,
            effective_from=_date(r["effective_from"]),
            effective_to=_date(r["effective_to"]),
            note=r["note"] or None,
        )
        for r in _rows("routing_rules.csv")
    ]


def _programmes_ever_changed(session: Session) -> set[str]:
    """Programmes named in any recorded routing change: their rules are the imports' now,
    even if none is left (a rule removed on purpose sends them to the general rule)."""
    named: set[str] = set()
    for (found,) in session.execute(select(RuleChange.difference).where(RuleChange.kind == ROUTES_KIND)):
        records = [*found.get("added", ()), *found.get("removed", ())]
        records += [side for pair in found.get("changed", ()) for side in (pair["before"], pair["after"])]
        named.update(record["programme"] for record in records if record.get("programme"))
    return named


def _sync_routing_rules(session: Session) -> None:
    """The seed file is the first load of each programme's routing: once a programme has
    rules, or a recorded import ever named it, they change through `grievance routes
    import` (recorded, dated), and an upgrade never reverts them.

    A programme added to the seed in a later release gets its seed rules: without them its
    complaints would fall to the general rule (the Social Allowance coordinator, not its
    lead ministry). On a database that had rules this is recorded as a change, which also
    tells every running process to reload its routing."""
    seed = seed_routing_rules()
    having = set(session.scalars(select(RoutingRule.programme_code).distinct()))
    if not having:
        session.add_all(seed)  # the first load: the seed is where routing begins
        return
    settled = having | _programmes_ever_changed(session)
    missing = [rule for rule in seed if rule.programme_code is not None and rule.programme_code not in settled]
    if not missing:
        return
    session.add_all(missing)
    session.flush()
    codes = sorted({rule.programme_code for rule in missing if rule.programme_code})
    added = [record for record in current_records(session) if record["programme"] in codes]
    found = rule_changes.difference({}, {(r["programme"], r["category"], r["effective_from"]): r for r in added})
    reason = f"seed routing for {', '.join(codes)}, which had none"
    rule_changes.record(session, ROUTES_KIND, "db upgrade", reason, "grievance/seed/routing_rules.csv", found)
    log.warning("routing: %s; loaded %d rule(s) from the seed", reason, len(missing))


def sync_grievance_reference_data(session: Session) -> None:
    _sync_routing_rules(session)
    gazette()  # a malformed gazette row stops the upgrade, not the first deadline it touches
    session.flush()
