"""Open data: counts anyone may download, small ones suppressed, nothing personal."""

import csv
import io

from grievance.models import Category


def test_counts_under_five_are_suppressed_and_nothing_personal_is_published(client, session, routed_case):
    for n in range(5):
        routed_case(category=Category.AMOUNT_SHORT, phone=f"+88017100000{n:02d}")
    for n in range(2):
        routed_case(category=Category.WRONG_DATA, phone=f"+88017200000{n:02d}")
    response = client.get("/open-data/grievances.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["month", "programme", "ministry", "district", "category", "status", "complaints"]
    by_category = {row["category"]: row for row in rows}
    assert by_category["amount_short"]["complaints"] == "5"
    assert by_category["wrong_data"]["complaints"] == "<5"
    assert by_category["amount_short"]["district"] == "Cumilla" and by_category["amount_short"]["ministry"] == "MOSW"
    body = response.get_data(as_text=True)
    assert "+880" not in body and "1710000000" not in body
