"""The queue: filters, deadline order, pages, CSV export."""

import csv
import datetime as dt
import io

from grievance.models import Category
from sahayata.clock import utcnow
from staff import queue


def numbers_in(response) -> list[str]:
    return [
        line.split('">')[1].split("<")[0]
        for line in response.get_data(as_text=True).split("\n")
        if "/staff/cases/" in line and 'href="/staff/cases/' in line
    ]


def test_filters_and_deadline_order(staff_client, session, routed_case, officer):
    short = routed_case(category=Category.AMOUNT_SHORT)
    data = routed_case(category=Category.WRONG_DATA)
    late = routed_case(category=Category.EXCLUDED)
    late.due_at = utcnow() - dt.timedelta(days=1)
    session.commit()
    client = staff_client(officer)
    assert numbers_in(client.get("/staff/"))[0] == late.tracking_number  # soonest deadline first
    assert numbers_in(client.get("/staff/?category=wrong_data")) == [data.tracking_number]
    assert numbers_in(client.get("/staff/?sla=overdue")) == [late.tracking_number]
    assert short.tracking_number in numbers_in(client.get("/staff/?programme=oaa"))
    assert numbers_in(client.get("/staff/?programme=FFP")) == []
    # Nonsense in the query string is ignored, not a 500.
    assert client.get("/staff/?status=nonsense&page=-3&district=x&sla=never").status_code == 200


def test_pages_of_fifty(staff_client, session, routed_case, officer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    made = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.WRONG_DATA, Category.EXCLUDED)]
    client = staff_client(officer)
    first, second = numbers_in(client.get("/staff/")), numbers_in(client.get("/staff/?page=2"))
    assert len(first) == 2 and len(second) == 1
    assert sorted(first + second) == sorted(g.tracking_number for g in made)


def test_csv_export_of_the_filtered_queue_has_no_personal_data(staff_client, session, routed_case, officer):
    routed_case(category=Category.AMOUNT_SHORT)
    wanted = routed_case(category=Category.WRONG_DATA)
    response = staff_client(officer).get("/staff/queue.csv?category=wrong_data")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["tracking_number"] for row in rows] == [wanted.tracking_number]
    assert rows[0]["district"] == "Cumilla" and "+880" not in response.get_data(as_text=True)
