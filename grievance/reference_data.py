"""Routing rules, first loaded from grievance/seed/ by `db upgrade` (then changed by
`grievance routes import`: grievance/route_files.py), and the holiday gazette file checked
then (the SLA calendar reads it from the file: see grievance/calendar.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from grievance.calendar import gazette
from grievance.models import Category, OfficeLevel, RoutingRule

SEED_DIR = Path(__file__).resolve().parent / "seed"


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


def sync_grievance_reference_data(session: Session) -> None:
    # The seed file is the first load only: once routing rules exist they change through
    # `grievance routes import` (recorded, dated), and an upgrade never reverts them.
    if session.scalar(select(RoutingRule.id).limit(1)) is None:
        session.add_all(seed_routing_rules())
    gazette()  # a malformed gazette row stops the upgrade, not the first deadline it touches
    session.flush()
