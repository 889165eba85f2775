"""Routing rules, kept in sync with grievance/seed/ by `db upgrade`, and the holiday gazette
file checked then (the SLA calendar reads it from the file: see grievance/calendar.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grievance.calendar import gazette
from grievance.models import Category, OfficeLevel, RoutingRule

SEED_DIR = Path(__file__).resolve().parent / "seed"


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEED_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _rule_key(rule: RoutingRule) -> tuple:
    return (
        rule.programme_code,
        rule.category,
        rule.ministry_code,
        rule.office_level,
        rule.also_ministry_code,
        rule.effective_from,
        rule.effective_to,
        rule.note,
    )


def sync_grievance_reference_data(session: Session) -> None:
    wanted = [
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
    current = session.scalars(select(RoutingRule).order_by(RoutingRule.id)).all()
    # The file is the whole truth; rewrite only when it changed, so ids stay stable otherwise.
    if sorted(map(_rule_key, current), key=repr) != sorted(map(_rule_key, wanted), key=repr):
        session.execute(delete(RoutingRule))
        session.add_all(wanted)
    gazette()  # a malformed gazette row stops the upgrade, not the first deadline it touches
    session.flush()
