import pytest
from sqlalchemy import select

CITIZEN = {
    "nid": "1958123456789",
    "name_en": "Rahima Begum",
    "name_bn": "রহিমা বেগম",
    "date_of_birth": "1958-03-01",
    "gender": "F",
    "mobile": "01712345678",
    "district": "Cumilla",
    "upazila": "Debidwar",
    "household_id": "H1",
    "household_size": "4",
    "monthly_income_bdt": "6000",
    "land_decimal": "5",
    "disability": "0",
    "marital_status": "widowed",
    "language": "bn",
}


def citizen_row(**changes) -> dict:
    return {**CITIZEN, **changes}


def snapshot(session, *models) -> dict:
    """Every column of every row, to compare a database before and after."""
    return {model.__tablename__: sorted(map(tuple, session.execute(select(model.__table__)).all())) for model in models}


@pytest.fixture
def two_citizens(session, write_csv):
    """Rahima (1958123456789) and Karim (1234567890), imported through the citizens import."""
    import datetime as dt

    from registry.imports import run_import

    rows = [
        citizen_row(),
        citizen_row(nid="1234567890", gender="M", marital_status="married", date_of_birth="1955-01-01"),
    ]
    report = run_import(session, "citizens", write_csv("citizens", rows, name="people.csv"), today=dt.date(2026, 11, 1))
    assert report.committed
    return ("1958123456789", "1234567890")


NEW_PROGRAMME = "NEWP"


@pytest.fixture
def seed_with_a_new_programme(session, tmp_path, monkeypatch):
    """The registry's seed as a later release might ship it: a programme NEWP (a copy of
    OAA, led by MOWCA) and its eligibility rules. The programme and everything that names it
    are removed afterwards."""
    import csv
    import shutil

    from sqlalchemy import delete

    from foundation.rule_changes import RuleChange
    from grievance.models import RoutingRule
    from registry import reference_data
    from registry.models import EligibilityRule, Programme

    seed = tmp_path / "registry-seed"
    shutil.copytree(reference_data.SEED_DIR, seed)
    with open(seed / "programmes.csv", encoding="utf-8", newline="") as handle:
        programmes = list(csv.DictReader(handle))
    new = {**programmes[0], "code": NEW_PROGRAMME, "lead_ministry_code": "MOWCA", "name_en": "New Programme"}
    with open(seed / "programmes.csv", "a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, list(new)).writerow(new)
    with open(seed / "eligibility_rules.csv", encoding="utf-8", newline="") as handle:
        rules = [row for row in csv.DictReader(handle) if row["programme"] == "OAA"]
    with open(seed / "eligibility_rules.csv", "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rules[0]))
        writer.writerows({**row, "programme": NEW_PROGRAMME} for row in rules)
    monkeypatch.setattr(reference_data, "SEED_DIR", seed)
    yield NEW_PROGRAMME
    session.rollback()
    session.execute(delete(RuleChange))
    session.execute(delete(RoutingRule).where(RoutingRule.programme_code == NEW_PROGRAMME))
    session.execute(delete(EligibilityRule).where(EligibilityRule.programme_code == NEW_PROGRAMME))
    session.execute(delete(Programme).where(Programme.code == NEW_PROGRAMME))
    session.commit()
