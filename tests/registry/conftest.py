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
