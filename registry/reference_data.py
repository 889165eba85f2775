"""Reference data (clusters, ministries, programmes, rules, geography) kept in sync with seed/.

Runs after every `flask --app wsgi db upgrade`; upserting by natural key makes it safe to run
any number of times, and a change to a seed CSV reaches every deployment on its next upgrade.
Eligibility rules are the exception: the seed is their first load, and from then on they
change by `registry rules import` (registry/rules_files.py), recorded and dated.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from registry.schedules import parse_schedule

SEED_DIR = Path(__file__).resolve().parent / "seed"


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
    """The seed file is the first load only: once the table holds rules they are changed
    through `registry rules import` (with a record of who, when and why), and an upgrade
    never puts the seed's thresholds back over them."""
    if session.scalar(select(EligibilityRule.id).limit(1)) is not None:
        return
    session.add_all(seed_rules())
    session.flush()
