"""Tokens of ministry systems, bodies as ministries send them, and clean-up of the trail."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete

from import_api.models import ApiImport, ApiToken
from import_api.tokens import issue
from registry.imports.kinds import KINDS
from tests.registry.conftest import citizen_row

URL = "/api/v1/imports/"
CSV = "text/csv"
NDJSON = "application/x-ndjson"
RAHIMA, KARIM = "1958123456789", "1234567890"


def csv_body(kind: str, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, KINDS[kind].columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def ndjson_body(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def enrolment(nid: str = RAHIMA, programme: str = "OAA", **changes) -> dict:
    return {
        "nid": nid,
        "programme": programme,
        "status": "active",
        "enrolled_on": "2024-01-15",
        "payment_channel": "nagad",
        "account_number": "01712345678",
        **changes,
    }


def outlet(code: str = "DEALER-1", programmes: str = "FFP", **changes) -> dict:
    return {
        "code": code,
        "name_en": "Karim Rice Dealer",
        "name_bn": "করিম চাল ডিলার",
        "kind": "food_dealer",
        "programmes": programmes,
        "district": "Cumilla",
        "upazila": "Debidwar",
        "operator_mobile": "01911000001",
        **changes,
    }


@pytest.fixture
def trail(session):
    """Tokens and the import trail are emptied after each test (before the registry)."""
    yield
    session.rollback()
    session.execute(delete(ApiImport))
    session.execute(delete(ApiToken))
    session.commit()


@pytest.fixture
def bearer(session, trail):
    """bearer(MINISTRY, citizens=False) -> (token id, request headers with its token)."""

    def make(ministry: str, citizens: bool = False, content_type: str = CSV) -> tuple[int, dict[str, str]]:
        token_id, token = issue(session, ministry, citizens=citizens, label="test MIS")
        return token_id, {"Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept-Language": "en"}

    return make


@pytest.fixture
def two_citizens(client, session, bearer):
    """Rahima and Karim, imported through the API by the registry's keeper."""
    _, headers = bearer("MOSW", citizens=True)
    rows = [
        citizen_row(nid=RAHIMA),
        citizen_row(nid=KARIM, gender="M", marital_status="married", date_of_birth="1955-01-01"),
    ]
    response = client.post(URL + "citizens", data=csv_body("citizens", rows), headers=headers)
    assert response.status_code == 200, response.json
    return RAHIMA, KARIM
