"""The queue's search box, orders and filters, tried as an officer with 400 open cases."""

import csv
import datetime as dt
import io
import itertools
import logging
import re

import pytest
from sqlalchemy import event

from foundation.clock import as_utc, utcnow
from foundation.db import database
from foundation.privacy import phone_hash
from grievance.actions import Action, apply_action
from grievance.citizen_answers import add_information
from grievance.models import Category, Channel, Grievance, Status
from grievance.sla import holidays
from grievance.tracking import check_digit
from registry.models import District, Upazila
from staff import queue, search
from tests.factories import make_citizen, make_household, make_staff, place
from tests.staff.test_queue import numbers_in

NOW = utcnow()
PHONE = "+8801812345678"  # the phone Rahima filed from, and her registered mobile
FILER = "+8801912345670"  # a complainant not in the registry


# Numbers of the service's shape, one after another: 400 random ones for a caseload would
# now and then draw the same one twice (the service itself draws again; this fixture would not).
_tracking_bodies = itertools.count(10_000_000)


def _next_tracking_number() -> str:
    body = str(next(_tracking_bodies))
    return body + check_digit(body)


def make_case(session, citizen=None, *, ministry="MOSW", district="Cumilla", **fields) -> Grievance:
    """A complaint routed to ``ministry`` (tier 1, open), as routing leaves it."""
    district_id, upazila_id = (citizen.district_id, citizen.upazila_id) if citizen else place(session, district)
    phone = fields.pop("phone", citizen.mobile if citizen else FILER)
    filed = fields.pop("filed", NOW - dt.timedelta(days=10))
    values = {
        "tracking_number": _next_tracking_number(),
        "citizen_id": citizen.id if citizen else None,
        "phone_hash": phone_hash(phone),
        "contact_phone": phone,
        "programme_code": "OAA" if ministry == "MOSW" else "FFP",
        "category": Category.PAYMENT_NOT_RECEIVED,
        "channel": Channel.USSD,
        "locale": "bn",
        "district_id": district_id,
        "upazila_id": upazila_id,
        "status": Status.ROUTED,
        "tier": 1,
        "ministry_code": ministry,
        "office_level": "upazila",
        "routed_at": filed,
        "sla_started_at": filed,
        "due_at": NOW + dt.timedelta(days=20),
        "created_at": filed,
        "updated_at": filed,
        **fields,
    }
    grievance = Grievance(**values)
    session.add(grievance)
    return grievance


@pytest.fixture
def caseload(session, officer):
    """400 open MOSW cases in Cumilla, each with its own deadline, filing time and last
    activity; Rahima's two among them; look-alikes of hers out of the officer's scope."""
    household = make_household(session)
    other_officer = make_staff(session, "officer")
    made = []
    for n in range(400):
        citizen = make_citizen(
            session, household=household, rescore=False, name_en=f"Person {n:03d}", mobile=f"+88017{n:08d}"
        )
        made.append(
            make_case(
                session,
                citizen,
                # Deadlines, filings and activity in three different orders.
                due_at=NOW + dt.timedelta(hours=(n * 7) % 400 - 48),
                filed=NOW - dt.timedelta(hours=24 * 30 - (n * 11) % 400),
                updated_at=NOW - dt.timedelta(minutes=(n * 13) % 400),
                assigned_to=officer.id if n % 10 == 0 else (other_officer.id if n % 10 == 1 else None),
            )
        )
    rahima = make_citizen(
        session,
        household=household,
        rescore=False,
        nid="19901234567890123",
        name_en="Md. Rahima  Begum",
        name_bn="রহিমা বেগম ভূঁইয়া",
        mobile=PHONE,
    )
    hers = [make_case(session, rahima), make_case(session, rahima, category=Category.WRONG_DATA)]
    stranger = make_case(session, phone=FILER)  # not in the registry: found by the hash of the phone
    # Out of scope: the same citizen's complaint to the food ministry, a namesake's with the same
    # phone there too, and a sensitive complaint, which only the redress officer sees.
    namesake = make_citizen(
        session, household=household, rescore=False, name_en="Rahima Begum", name_bn="রহিমা বেগম", mobile=PHONE
    )
    elsewhere = [
        make_case(session, rahima, ministry="MOFOOD"),
        make_case(session, namesake, ministry="MOFOOD"),
        make_case(session, phone=FILER, ministry="MOFOOD"),
        make_case(session, rahima, category=Category.BRIBE_OR_HARASSMENT),
    ]
    session.commit()
    return {"all": made + hers + [stranger], "hers": hers, "stranger": stranger, "elsewhere": elsewhere}


def every_page(client, query: str) -> list[str]:
    numbers, page = [], 1
    while True:
        response = client.get(f"/staff/?{query}&page={page}")
        assert response.status_code == 200
        numbers += numbers_in(response)
        if f"{page} / {page}" in response.get_data(as_text=True):
            return numbers
        page += 1


def found(client, text: str) -> list[str]:
    return numbers_in(client.get("/staff/", query_string={"q": text}))


def test_a_tracking_number_finds_its_case_however_it_is_typed(staff_client, session, caseload, officer):
    wanted = caseload["hers"][0].tracking_number
    bengali = wanted.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    client = staff_client(officer)
    for typed in (wanted, f"  {wanted} ", bengali, f"{wanted[:4]} {wanted[4:]}", f"{wanted[:4]}-{wanted[4:]}"):
        assert found(client, typed) == [wanted], typed
    mistyped = wanted[:-1] + str((int(wanted[-1]) + 1) % 10)  # the check digit refuses it
    assert found(client, mistyped) == []
    for theirs in caseload["elsewhere"]:  # another ministry's, or the redress officer's: not found
        assert found(client, theirs.tracking_number) == []


def test_a_search_looks_at_every_status_unless_one_is_chosen(staff_client, session, caseload, officer):
    closed = caseload["hers"][1]
    closed.status = Status.CLOSED
    session.commit()
    client = staff_client(officer)
    assert found(client, closed.tracking_number) == [closed.tracking_number]
    page = client.get("/staff/", query_string={"q": closed.tracking_number, "status": "open"})
    assert numbers_in(page) == []
    assert closed.tracking_number not in every_page(client, "sort=deadline")  # the queue itself: open cases


def test_an_nid_finds_the_citizens_cases_in_scope_only(staff_client, session, caseload, officer):
    hers = sorted(g.tracking_number for g in caseload["hers"])
    client = staff_client(officer)
    for typed in ("19901234567890123", "১৯৯০১২৩৪৫৬৭৮৯০১২৩", "1990 1234 5678 90123"):
        assert sorted(found(client, typed)) == hers, typed
    assert found(client, "19901234567890124") == []


@pytest.mark.parametrize(
    "typed", ["+8801812345678", "01812345678", "8801812345678", "০১৮১২-৩৪৫৬৭৮", "018 1234 5678", "+880 1812-345678"]
)
def test_a_phone_in_any_usual_form_finds_the_cases_in_scope(staff_client, session, caseload, officer, typed):
    assert sorted(found(staff_client(officer), typed)) == sorted(g.tracking_number for g in caseload["hers"])


def test_a_phone_finds_a_complaint_by_its_hash_and_by_the_citizens_registered_mobile(
    staff_client, session, caseload, officer
):
    client = staff_client(officer)
    assert found(client, "01912345670") == [caseload["stranger"].tracking_number]  # the hash alone
    # Rahima's registered mobile changed after she filed: her complaints keep the old hash.
    moved = caseload["hers"][0]
    moved.phone_hash = phone_hash("+8801555000111")
    session.commit()
    assert moved.tracking_number in found(client, "01812345678")  # by the registry's mobile
    assert found(client, "01555000111") == [moved.tracking_number]  # by the hash of the phone that filed


@pytest.mark.parametrize(
    "typed",
    ["Rahima Begum", "rahima begum", "RAHIMA", "md rahima-begum", "  Rahima   Begum ", "রহিমা বেগম", "ভূঁই\u09dfা"],
)
def test_a_name_in_english_or_bangla_finds_the_citizens_cases_in_scope(staff_client, session, caseload, officer, typed):
    # The namesake with the same name and phone has complaints only outside the officer's scope.
    assert sorted(found(staff_client(officer), typed)) == sorted(g.tracking_number for g in caseload["hers"])


def test_an_officer_limited_to_a_district_finds_nothing_of_another(staff_client, session, caseload):
    dhaka_id, _ = place(session, "Dhaka")
    limited = make_staff(session, "officer", district_ids=[dhaka_id])
    dhaka_case = make_case(session, district="Dhaka", phone=PHONE)
    session.commit()
    client = staff_client(limited)
    assert found(client, "01812345678") == [dhaka_case.tracking_number]
    assert found(client, "Rahima") == [] and found(client, caseload["hers"][0].tracking_number) == []


def test_found_citizens_are_masked_as_on_the_case_page(staff_client, session, caseload, officer):
    client = staff_client(officer)
    page = client.get("/staff/?q=Rahima").get_data(as_text=True)
    assert page.count("রহিমা বেগম ভূঁইয়া / Md. Rahima  Begum, NID **************123") == 2
    assert page.count("+88018*****678") == 2
    assert "19901234567890123" not in page and "1812345678" not in page
    stranger = client.get("/staff/?q=01912345670").get_data(as_text=True)
    assert "not in the registry" in stranger and "+88019*****670" in stranger
    # The case page shows the same masks.
    case = client.get(f"/staff/cases/{caseload['hers'][0].tracking_number}").get_data(as_text=True)
    assert 'id="masked-nid">**************123<' in case and "+88018*****678" in case


def test_a_search_that_finds_nothing_says_so_in_the_users_language(staff_client, session, caseload, officer):
    english = staff_client(officer).get("/staff/", query_string={"q": "Nobody Here"}).get_data(as_text=True)
    assert "Nothing found for “Nobody Here”." in english and numbers_in_page(english) == []
    bangla_officer = make_staff(session, "officer", language="bn")
    session.commit()
    bangla = staff_client(bangla_officer).get("/staff/", query_string={"q": "কেউ নেই"}).get_data(as_text=True)
    assert "“কেউ নেই” দিয়ে কিছু পাওয়া যায়নি।" in bangla
    hostile = staff_client(officer).get("/staff/", query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in hostile and "&lt;script&gt;" in hostile


def numbers_in_page(text: str) -> list[str]:
    return re.findall(r'href="/staff/cases/([0-9]+)"', text)


def test_a_search_too_long_is_refused_with_a_message(staff_client, session, caseload, officer):
    client = staff_client(officer)
    longest = "x" * search.MAX_SEARCH_CHARS
    assert client.get("/staff/", query_string={"q": longest}).status_code == 200
    response = client.get("/staff/", query_string={"q": longest + "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="search-refused"' in page and numbers_in(response) == []
    assert "The search is too long: at most 100 characters." in page
    exported = client.get("/staff/queue.csv", query_string={"q": "x" * 5000})
    assert exported.status_code == 400 and "at most 100 characters" in exported.get_data(as_text=True)
    bangla_officer = make_staff(session, "officer", language="bn")
    session.commit()
    bangla = staff_client(bangla_officer).get("/staff/", query_string={"q": "ক" * 101}).get_data(as_text=True)
    assert "সর্বোচ্চ ১০০ অক্ষর" in bangla


@pytest.mark.parametrize("text", ["\x00", "Rahima\x00", "0181\x002345678", "%", "_", "'; --"])
def test_odd_characters_are_no_error(staff_client, session, caseload, officer, text):
    response = staff_client(officer).get("/staff/", query_string={"q": text})
    assert response.status_code == 200


def test_searching_never_logs_the_phone_or_the_nid(staff_client, session, caseload, officer, caplog):
    client = staff_client(officer)
    caplog.set_level(logging.DEBUG)
    for typed in ("+8801812345678", "19901234567890123", "nobody 01812345678"):
        client.get("/staff/", query_string={"q": typed})
        client.get("/staff/queue.csv", query_string={"q": typed})
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    assert "1812345678" not in logged and "19901234567890123" not in logged


def test_the_csv_export_keeps_the_search_and_the_filters(staff_client, session, caseload, officer):
    response = staff_client(officer).get("/staff/queue.csv?q=Rahima&sort=filed")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(row["tracking_number"] for row in rows) == sorted(g.tracking_number for g in caseload["hers"])
    assert {row["district"] for row in rows} == {"Cumilla"} and all(row["upazila"] for row in rows)
    assert "1812345678" not in response.get_data(as_text=True)


def _in_scope(session, caseload):
    session.expire_all()
    return [session.get(Grievance, g.id) for g in caseload["all"]]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("deadline", lambda g: (_utc(g.due_at), g.id)),
        ("filed", lambda g: (-_utc(g.created_at), -g.id)),
        ("activity", lambda g: (-_utc(g.updated_at), -g.id)),
        ("nonsense", lambda g: (_utc(g.due_at), g.id)),  # an unknown order is the default
    ],
)
def test_each_order_lists_every_case_in_scope_once(staff_client, session, caseload, officer, sort, key):
    expected = [g.tracking_number for g in sorted(_in_scope(session, caseload), key=key)]
    assert every_page(staff_client(officer), f"sort={sort}") == expected


def _utc(moment: dt.datetime) -> float:
    """A stored time as seconds (SQLite hands back naive UTC, PostgreSQL aware)."""
    return as_utc(moment).timestamp()


def test_last_activity_counts_a_note_and_the_citizens_answer(staff_client, session, caseload, officer):
    client = staff_client(officer)
    quiet = min(_in_scope(session, caseload), key=lambda g: (_utc(g.updated_at), g.id))
    apply_action(session, quiet, Action.NOTE, f"staff:{officer.id}", "called the union office")
    session.commit()
    assert numbers_in(client.get("/staff/?sort=activity"))[0] == quiet.tracking_number
    answered = next(g for g in caseload["hers"] if g is not quiet)
    add_information(session, PHONE, answered.tracking_number, "since July", channel=Channel.SMS)
    assert numbers_in(client.get("/staff/?sort=activity"))[:2] == [answered.tracking_number, quiet.tracking_number]


def test_assigned_to_me(staff_client, session, caseload, officer):
    mine = sorted(g.tracking_number for g in caseload["all"] if g.assigned_to == officer.id)
    assert len(mine) == 40 and sorted(every_page(staff_client(officer), "mine=1")) == mine


def test_overdue_and_due_soon(staff_client, session, caseload, officer):
    cases = _in_scope(session, caseload)
    due = {g.tracking_number: as_utc(g.due_at) for g in cases}
    now = utcnow()
    overdue = sorted(n for n, at in due.items() if at < now)
    soon = sorted(n for n, at in due.items() if now <= at <= now + queue.DUE_SOON)
    assert overdue and soon
    client = staff_client(officer)
    assert sorted(every_page(client, "sla=overdue")) == overdue
    assert sorted(every_page(client, "sla=due_soon")) == soon
    page = client.get("/staff/").get_data(as_text=True)  # reachable from the page, in words
    assert '<option value="overdue" >overdue</option>' in page and '<option value="due_soon" >due soon</option>' in page


def test_waiting_for_the_citizen_until_they_answer(staff_client, session, caseload, officer):
    asked = caseload["hers"] + [caseload["all"][5]]
    for g in asked:
        apply_action(session, g, Action.ASK, f"staff:{officer.id}", "Since which month?")
    session.commit()
    client = staff_client(officer)
    assert sorted(every_page(client, "waiting=1")) == sorted(g.tracking_number for g in asked)
    answered = caseload["hers"][0]
    add_information(session, PHONE, answered.tracking_number, "since July", channel=Channel.SMS)
    assert sorted(every_page(client, "waiting=1")) == sorted(g.tracking_number for g in asked if g is not answered)
    apply_action(session, answered, Action.ASK, f"staff:{officer.id}", "Which union?")  # asked again
    session.commit()
    assert answered.tracking_number in every_page(client, "waiting=1")
    # Together with a search and "assigned to me" (none of these is assigned to the officer).
    assert every_page(client, "waiting=1&q=Rahima") != [] and every_page(client, "waiting=1&q=Rahima&mine=1") == []


def test_filters_are_kept_by_the_pages_and_the_export(staff_client, session, caseload, officer):
    page = (
        staff_client(officer).get("/staff/?q=Rahima&mine=1&waiting=1&sort=activity&sla=overdue").get_data(as_text=True)
    )
    [export] = [line for line in page.split("\n") if 'id="export-csv"' in line]
    for part in ("q=Rahima", "mine=1", "waiting=1", "sort=activity", "sla=overdue"):
        assert part in export, part
    assert 'id="mine" checked' in page and 'id="waiting" checked' in page


def test_district_and_upazila_in_the_users_language(staff_client, session, caseload, officer):
    wanted = caseload["hers"][0]
    district, upazila = session.get(District, wanted.district_id), session.get(Upazila, wanted.upazila_id)
    english = staff_client(officer).get(f"/staff/?q={wanted.tracking_number}").get_data(as_text=True)
    assert f'<td class="district">Cumilla</td><td class="upazila">{upazila.name_en}</td>' in english
    bangla_officer = make_staff(session, "officer", language="bn")
    session.commit()
    bangla = staff_client(bangla_officer).get(f"/staff/?q={wanted.tracking_number}").get_data(as_text=True)
    assert f'<td class="district">{district.name_bn}</td><td class="upazila">{upazila.name_bn}</td>' in bangla
    assert district.name_bn != district.name_en and upazila.name_bn != upazila.name_en


def test_the_age_counts_working_days_on_the_sla_calendar(staff_client, session, officer, monkeypatch):
    # Victory Day, 16 December, is a holiday; 18 and 19 December are Friday and Saturday.
    assert dt.date(2026, 12, 16) in holidays(session)
    filed = dt.datetime(2026, 12, 14, 4, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Dhaka
    monkeypatch.setattr(queue, "utcnow", lambda: dt.datetime(2026, 12, 20, 4, 0, tzinfo=dt.UTC))  # Sunday
    grievance = make_case(session, filed=filed, due_at=dt.datetime(2027, 1, 31, tzinfo=dt.UTC))
    session.commit()
    bangla_officer = make_staff(session, "officer", language="bn")
    session.commit()
    english = staff_client(officer).get("/staff/").get_data(as_text=True)
    assert '<td class="age">3</td>' in english  # 15, 17 and 20 December
    assert '<td class="age">৩</td>' in staff_client(bangla_officer).get("/staff/").get_data(as_text=True)
    assert queue.ages(session, [grievance], dt.datetime(2026, 12, 20, 4, 0, tzinfo=dt.UTC)) == {grievance.id: 3}


def test_the_page_costs_the_same_queries_for_five_rows_or_fifty(staff_client, session, caseload, officer, monkeypatch):
    client = staff_client(officer)
    statements = []
    engine = database().engine

    def count(*_args):
        statements.append(1)

    def cost(query: str) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/staff/?{query}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for query in ("", "q=Person", "sort=activity&waiting=1", "mine=1&sort=filed"):
        monkeypatch.setattr(queue, "PAGE_SIZE", 5)
        few = cost(query)
        monkeypatch.setattr(queue, "PAGE_SIZE", 50)
        # A search reads its matches once (one statement) for the count and the page.
        assert cost(query) == few <= (9 if query.startswith("q=") else 8), query


def test_the_filter_reads_its_arguments():
    parsed = queue.QueueFilter.from_args({"q": " 0181\x00 ", "sort": "filed", "mine": "1", "waiting": "on"})
    assert (parsed.q, parsed.sort, parsed.mine, parsed.waiting) == ("0181", "filed", True, True)
    assert parsed.as_args() == {"status": "all", "q": "0181", "sort": "filed", "mine": "1", "waiting": "1"}
    assert queue.QueueFilter.from_args({"sort": "x", "mine": "0"}) == queue.QueueFilter()
    assert queue.QueueFilter.from_args({"q": "x" * 5000}).search_too_long


def test_a_text_is_read_every_way_it_can_be():
    ten = "1234567890"
    assert search.parse(ten).nid == ten and search.parse(ten).mobile == ""
    reading = search.parse("01812345678")
    assert (reading.mobile, reading.nid, reading.tracking_number, reading.name) == ("+8801812345678", "", "", "")
    assert search.parse("Md. Rahima").name == "mdrahima" and not search.parse("12").finds_anything


def test_fewer_than_three_letters_are_no_name_search_and_the_page_says_so(staff_client, session, caseload, officer):
    client = staff_client(officer)
    page = client.get("/staff/", query_string={"q": "Ra", "lang": "en"}).get_data(as_text=True)
    assert "Type at least 3 letters of a name." in page and numbers_in_page(page) == []
    assert search.parse("রহি").name == "রহি" and search.parse("রহ").name == ""  # letters, not bytes
    assert "Type at least" not in client.get("/staff/", query_string={"q": "Rah", "lang": "en"}).get_data(as_text=True)


@pytest.mark.parametrize(("typed", "index"), [("Rahima", "name_en"), ("রহিমা", "name_bn")])
def test_a_part_of_a_name_is_looked_up_by_its_trigram_index_not_by_reading_the_registry(
    session, officer, database_url, typed, index
):
    """The search's name key is the very expression migration 0026 indexed; were they to drift
    apart, every name search would read the whole registry."""
    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no pg_trgm (CI's PostgreSQL pass runs this)")
    from sqlalchemy import text

    statement = queue.queue_query(officer, queue.QueueFilter.from_args({"q": typed}))
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    # A tiny table: forbid whole-table reads so that the plan shows what the planner can use.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(f"EXPLAIN {compiled}"))
    assert f"ix_citizens_{index}_key_trgm" in plan, plan
