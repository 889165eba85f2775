"""The queue: filters, deadline order, pages, CSV export."""

import csv
import datetime as dt
import io

import pytest

from foundation.clock import utcnow
from grievance.models import Category
from staff import queue
from tests.factories import place


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


@pytest.mark.parametrize(
    "query",
    [
        "page=²",  # str.isdigit() says yes, int() says no
        "page=٢",  # Arabic-Indic two: int() reads it as page 2
        "page=３",  # full-width three
        "page=99999999999999999999",  # past any OFFSET the database takes
        "page=" + "9" * 5000,  # past Python's digit limit for int()
    ],
)
def test_digits_of_other_scripts_and_huge_numbers_are_ignored(staff_client, session, routed_case, officer, query):
    wanted = routed_case(category=Category.WRONG_DATA)
    client = staff_client(officer)
    response = client.get(f"/staff/?{query}")
    assert response.status_code == 200 and numbers_in(response) == [wanted.tracking_number]
    assert "1 / 1" in response.get_data(as_text=True)
    exported = client.get(f"/staff/queue.csv?{query}")
    assert exported.status_code == 200 and wanted.tracking_number in exported.get_data(as_text=True)


@pytest.mark.parametrize(
    "district",
    [
        "²",  # str.isdigit() says yes, int() says no
        "３",
        "99999999999999999999",  # past the integer column
        "999",  # no district has this code
        "Atlantis",
    ],
)
def test_a_district_that_is_none_is_said_and_matches_nothing(staff_client, session, routed_case, officer, district):
    routed_case(category=Category.WRONG_DATA)
    client = staff_client(officer)
    response = client.get("/staff/", query_string={"district": district})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and numbers_in(response) == [] and 'id="unknown-district"' in page
    assert f"unknown district {district}" in page
    exported = client.get("/staff/queue.csv", query_string={"district": district})
    assert exported.status_code == 200 and exported.get_data(as_text=True).count("\n") == 1  # the header only


def test_an_unknown_district_gets_suggestions_and_the_export_keeps_it(staff_client, session, routed_case, officer):
    routed_case(category=Category.WRONG_DATA)  # in Cumilla
    client = staff_client(officer)
    page = client.get("/staff/?district=Chapai").get_data(as_text=True)
    assert "unknown district Chapai (did you mean Chapainawabganj" in page
    [export] = [line for line in page.split("\n") if 'id="export-csv"' in line]
    assert "district=Chapai" in export  # the export is as empty as the page
    assert '<option value="Chapai" selected>' in page  # the form says what is applied, not "any district"
    assert client.get("/staff/queue.csv?district=Chapai").get_data(as_text=True).count("\n") == 1


def test_a_district_in_arabic_indic_digits_is_no_district(staff_client, session, routed_case, officer):
    routed_case(category=Category.WRONG_DATA)  # in Cumilla
    wanted_in_dhaka = routed_case(category=Category.WRONG_DATA, district="Dhaka")
    dhaka_id, _ = place(session, "Dhaka")
    arabic_indic = str(dhaka_id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = staff_client(officer).get(f"/staff/?district={arabic_indic}")  # int() would read it as Dhaka
    assert response.status_code == 200 and numbers_in(response) == []
    assert wanted_in_dhaka.tracking_number not in response.get_data(as_text=True)
    assert "unknown district" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_programme_is_ignored(staff_client, session, routed_case, officer):
    # PostgreSQL refuses NUL in a query parameter: this was a 500 there.
    wanted = routed_case(category=Category.WRONG_DATA)
    client = staff_client(officer)
    for query in ("programme=%00", "programme=OA%00A"):
        response = client.get(f"/staff/?{query}")
        assert response.status_code == 200 and numbers_in(response) == [wanted.tracking_number], query[:20]
        assert client.get(f"/staff/queue.csv?{query}").status_code == 200


def test_bengali_digits_mean_ascii_ones(staff_client, session, routed_case, officer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    made = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.WRONG_DATA)]
    client = staff_client(officer)
    assert numbers_in(client.get("/staff/?page=২")) == numbers_in(client.get("/staff/?page=2"))
    assert len(numbers_in(client.get("/staff/?page=২"))) == 1
    district = made[0].district_id
    bengali = str(district).translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert len(numbers_in(client.get(f"/staff/?district={bengali}"))) == 1
    parsed = queue.QueueFilter.from_args({"district": bengali, "page": " ৩ "})
    assert parsed == queue.QueueFilter(district=district, page=3)


def test_a_page_past_the_end_shows_the_last_page(staff_client, session, routed_case, officer, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    made = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.WRONG_DATA)]
    response = staff_client(officer).get("/staff/?page=999999999")
    assert len(numbers_in(response)) == 1 and "2 / 2" in response.get_data(as_text=True)
    assert numbers_in(response)[0] in {g.tracking_number for g in made}


def test_the_queue_filters_of_a_production_start(production_app, session, routed_case, officer):
    from tests.staff.conftest import StaffClient

    test_client = production_app.test_client()
    test_client.environ_base["wsgi.url_scheme"] = "https"  # Secure cookies in production
    client = StaffClient(test_client)
    assert client.sign_in(officer).status_code == 302
    wanted = routed_case(category=Category.WRONG_DATA)
    for query in ("page=²", "page=99999999999999999999"):
        response = client.get(f"/staff/?{query}")
        assert response.status_code == 200 and numbers_in(response) == [wanted.tracking_number], query
        assert client.get(f"/staff/queue.csv?{query}").status_code == 200, query
    for query in ("district=١", "district=99999999999999999999"):
        response = client.get(f"/staff/?{query}")
        assert response.status_code == 200 and numbers_in(response) == [], query
        assert client.get(f"/staff/queue.csv?{query}").status_code == 200, query


def test_the_district_filter_takes_any_spelling_of_the_name(staff_client, session, routed_case, officer):
    from registry.models import District

    wanted = routed_case(category=Category.WRONG_DATA)  # in Cumilla
    district = session.get(District, wanted.district_id)
    client = staff_client(officer)
    by_code = numbers_in(client.get(f"/staff/?district={district.id}"))
    assert district.name_en == "Cumilla" and by_code == [wanted.tracking_number]
    assert numbers_in(client.get("/staff/?district=Dhaka")) == []
    for spelling in ("Cumilla", "COMILLA", "Comilla District", district.name_bn, "BD2019"):
        assert queue.QueueFilter.from_args({"district": spelling}).district == district.id, spelling
        assert numbers_in(client.get("/staff/", query_string={"district": spelling})) == by_code, spelling


def test_an_unknown_district_is_kept_to_match_nothing_and_a_blank_one_is_any():
    for nothing in ("Atlantis", "x" * 1000, "19x"):
        parsed = queue.QueueFilter.from_args({"district": nothing})
        assert parsed.district is None and parsed.unknown_district == nothing[: queue.MAX_DISTRICT_NAME]
        assert parsed.as_args()["district"] == parsed.unknown_district
    assert queue.QueueFilter.from_args({"district": "  "}) == queue.QueueFilter()


def test_past_the_count_cap_the_queue_says_more_than_and_still_pages_on(
    staff_client, session, routed_case, officer, monkeypatch
):
    """Counting stops at COUNT_CAP: a country's queue is not read whole on every view."""
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    made = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.WRONG_DATA, Category.EXCLUDED)]
    client = staff_client(officer)
    first = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "Complaints (more than 2)" in first
    assert "1 / 2+" in first and "page=2" in first
    third = client.get("/staff/?page=3")  # past the counted pages: still that page, not the last counted
    assert numbers_in(third) and numbers_in(third)[0] not in numbers_in(client.get("/staff/?page=2"))
    seen = {n for page in (1, 2, 3) for n in numbers_in(client.get(f"/staff/?page={page}"))}
    assert seen == {g.tracking_number for g in made}
    last = client.get("/staff/?page=3&lang=en").get_data(as_text=True)
    assert "page=4" not in last  # past the count, the pages end where the cases do
    assert "page=5" not in client.get("/staff/?page=9&lang=en").get_data(as_text=True)
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    exact = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "Complaints (3)" in exact and "more than" not in exact
