"""Reference data (clusters, ministries, programmes, rules, geography) kept in sync with seed/.

Runs after every `flask --app wsgi db upgrade`; upserting by natural key makes it safe to run
any number of times, and a change to a seed CSV reaches every deployment on its next upgrade.
Eligibility rules are the exception: the seed is each programme's first load, and from then
on they change by `registry rules import` (registry/rules_files.py), recorded and dated.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation import rule_changes
from registry.eligibility.engine import RULES_KIND
from registry.models import (
    BenefitUnit,
    Cluster,
    District,
    Division,
    EligibilityRule,
    Ministry,
    Office,
    Programme,
    Upazila,
)
from registry.rules_files import current_records
from registry.schedules import parse_schedule

SEED_DIR = Path(__file__).resolve().parent / "seed"
log = logging.getLogger(__name__)


def _rows(name: str) -> Iterator[dict[str, str]]:
    with open(SEED_DIR / name, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _upsert(session: Session, model: type, key: str, records: list[dict]) -> None:
    existing = {getattr(obj, key): obj for obj in session.scalars(select(model))}
    for record in records:
        obj = existing.get(record[key])
        if obj is None:
            session.add(model(**record))
        else:
            for field, value in record.items():
                setattr(obj, field, value)
    session.flush()


def sync_reference_data(session: Session) -> None:
    _upsert(
        session,
        Division,
        "id",
        [{"id": int(r["id"]), "name_en": r["name_en"], "name_bn": r["name_bn"]} for r in _rows("geo/divisions.csv")],
    )
    _upsert(
        session,
        District,
        "id",
        [
            {"id": int(r["id"]), "division_id": int(r["division_id"]), "name_en": r["name_en"], "name_bn": r["name_bn"]}
            for r in _rows("geo/districts.csv")
        ],
    )
    _upsert(
        session,
        Upazila,
        "id",
        [
            {"id": int(r["id"]), "district_id": int(r["district_id"]), "name_en": r["name_en"], "name_bn": r["name_bn"]}
            for r in _rows("geo/upazilas.csv")
        ],
    )
    _upsert(
        session,
        Ministry,
        "code",
        [{"code": r["code"], "name_en": r["name_en"], "name_bn": r["name_bn"]} for r in _rows("ministries.csv")],
    )
    _upsert(
        session,
        Cluster,
        "code",
        [
            {
                "code": r["code"],
                "name_en": r["name_en"],
                "name_bn": r["name_bn"],
                "coordinator_ministry_code": r["coordinator_ministry_code"] or None,
                "notes": r["notes"] or None,
            }
            for r in _rows("clusters.csv")
        ],
    )
    _upsert(
        session,
        Office,
        "code",
        [
            {"code": r["code"], "name_en": r["name_en"], "name_bn": r["name_bn"], "name_bn_latn": r["name_bn_latn"]}
            for r in _rows("offices.csv")
        ],
    )
    _upsert(
        session,
        Programme,
        "code",
        [
            {
                "code": r["code"],
                "name_en": r["name_en"],
                "name_bn": r["name_bn"],
                "short_name_en": r["short_name_en"],
                "short_name_bn": r["short_name_bn"],
                "short_name_bn_latn": r["short_name_bn_latn"],
                "lead_ministry_code": r["lead_ministry_code"],
                "cluster_code": r["cluster_code"],
                "benefit_type": r["benefit_type"],
                "amount_bdt": Decimal(r["amount_bdt"]) if r["amount_bdt"] else None,
                "unit": r["unit"] or None,
                "frequency": r["frequency"] or None,
                "eligibility_summary": r["eligibility_summary"] or None,
                "notes": r["notes"] or None,
                "position": position,
                "office_code": r["office_code"] or None,
                "benefit_unit": BenefitUnit(r["benefit_unit"]).value,
                "paid_to": r["paid_to"] or None,
                **_schedule_columns(r),
            }
            for position, r in enumerate(_rows("programmes.csv"))
        ],
    )
    _sync_rules(session)


def _schedule_columns(row: dict[str, str]) -> dict[str, str]:
    """The payment schedule checked as it is read: a bad seed row fails the upgrade, not a caller's screen."""
    schedule = parse_schedule(row["payment_frequency"], row["payment_months"])
    return {"payment_frequency": schedule.frequency.value, "payment_months": schedule.to_text()}


# The seed's rules are in force from this day; later sets come from `registry rules import`.
SEED_RULES_FROM = dt.date(2000, 1, 1)


def seed_rules() -> list[EligibilityRule]:
    """The seed file's rules, in its order (positions count within each programme)."""
    positions: dict[str, int] = {}
    rules = []
    for row in _rows("eligibility_rules.csv"):
        position = positions.get(row["programme"], 0)
        positions[row["programme"]] = position + 1
        rules.append(
            EligibilityRule(
                programme_code=row["programme"],
                effective_from=SEED_RULES_FROM,
                position=position,
                criterion=row["criterion"],
                params=json.loads(row["params"]),
                source=row["source"] or None,
            )
        )
    return rules


def _sync_rules(session: Session) -> None:
    """The seed file is the first load of each programme's rules: once a programme has
    rules they are changed through `registry rules import` (with a record of who, when and
    why), and an upgrade never puts the seed's thresholds back over them.

    A programme with no rules at all gets the seed's: one added to the seed in a later
    release would otherwise find everyone eligible. No import leaves a programme without
    rules (registry.rules_files refuses it), so this never undoes a deliberate change; on
    a database that had rules it is recorded as a change, which also tells every running
    process to reload its rule book."""
    having = set(session.scalars(select(EligibilityRule.programme_code).distinct()))
    missing = [rule for rule in seed_rules() if rule.programme_code not in having]
    if not missing:
        return
    session.add_all(missing)
    session.flush()
    if not having:
        return  # the first load: the seed is where the rules begin
    codes = sorted({rule.programme_code for rule in missing})
    added = [record for record in current_records(session) if record["programme"] in codes]
    found = rule_changes.difference({}, {(r["programme"], r["effective_from"], r["criterion"]): r for r in added})
    reason = f"seed rules for {', '.join(codes)}, which had none"
    rule_changes.record(session, RULES_KIND, "db upgrade", reason, "registry/seed/eligibility_rules.csv", found)
    log.warning("eligibility: %s; loaded %d rule(s) from the seed", reason, len(missing))
