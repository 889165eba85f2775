"""Every role sees exactly what it should; another ministry's case answers 404."""

import pytest
from sqlalchemy import select

from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Channel, Grievance
from registry.models import District, Upazila
from sms.replies import answer
from tests.factories import make_citizen, make_filing, make_staff, place


def page(client, grievance):
    return client.get(f"/staff/cases/{grievance.tracking_number}")


def test_an_officer_sees_own_ministry_cases_only(staff_client, session, routed_case, officer):
    own = routed_case(programme_code="OAA")  # MOSW
    other = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # MOFOOD
    client = staff_client(officer)
    assert page(client, own).status_code == 200
    assert page(client, other).status_code == 404
    queue = client.get("/staff/").get_data(as_text=True)
    assert own.tracking_number in queue and other.tracking_number not in queue
    # Acting on it through a forged form is 404 too, and nothing changes.
    response = client.post(f"/staff/cases/{other.tracking_number}/act", {"action": "acknowledge"})
    assert response.status_code == 404
    session.refresh(other)
    assert other.status.value == "routed"


def test_an_officer_limited_to_a_district(staff_client, session, routed_case):
    dhaka_id, _ = place(session, "Dhaka")
    officer = make_staff(session, "officer", district_ids=[dhaka_id])
    session.commit()
    cumilla, dhaka = routed_case(), routed_case(district="Dhaka", category=Category.AMOUNT_SHORT)
    client = staff_client(officer)
    assert page(client, dhaka).status_code == 200 and page(client, cumilla).status_code == 404


def test_sensitive_and_escalated_cases_go_to_the_redress_officer(staff_client, session, routed_case, officer):
    bribe = routed_case(category=Category.BRIBE_OR_HARASSMENT)
    escalated = routed_case(category=Category.AMOUNT_SHORT)
    escalated.tier = 2
    plain = routed_case(category=Category.WRONG_DATA)
    session.commit()
    gro = make_staff(session, "gro")
    session.commit()
    as_officer, as_gro = staff_client(officer), staff_client(gro)
    assert [page(as_officer, g).status_code for g in (bribe, escalated, plain)] == [404, 404, 200]
    assert [page(as_gro, g).status_code for g in (bribe, escalated, plain)] == [200, 200, 404]


def test_a_coordinator_reads_across_the_cluster_but_cannot_act(staff_client, session, routed_case):
    social = routed_case(programme_code="OAA")  # cluster SA
    food = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # cluster FS
    coordinator = make_staff(session, "coordinator", cluster_code=social.cluster_code)
    session.commit()
    client = staff_client(coordinator)
    assert page(client, social).status_code == 200 and page(client, food).status_code == 404
    assert "do-action" not in page(client, social).get_data(as_text=True)
    response = client.post(f"/staff/cases/{social.tracking_number}/act", {"action": "acknowledge"})
    assert response.status_code == 403
    session.refresh(social)
    assert social.status.value == "routed"


def test_monitoring_sees_aggregates_but_no_case(staff_client, session, routed_case):
    case = routed_case()
    monitoring = make_staff(session, "monitoring")
    session.commit()
    client = staff_client(monitoring)
    assert page(client, case).status_code == 404
    assert client.get("/staff/queue.csv").status_code == 404
    home = client.get("/staff/")
    assert home.status_code == 302 and home.location.endswith("/staff/dashboard")
    board = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'id="open-count">1<' in board
    assert "+8801712345678" not in board and case.tracking_number not in board


@pytest.mark.parametrize("path", ["/staff/", "/staff/dashboard", "/staff/queue.csv", "/staff/cases/123456789"])
def test_nothing_without_signing_in(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/staff/login" in response.location


def test_an_admin_sees_every_ministry(staff_client, session, routed_case):
    cases = [routed_case(), routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)]
    admin = make_staff(session, "admin")
    session.commit()
    client = staff_client(admin)
    assert [page(client, g).status_code for g in cases] == [200, 200]


def test_the_queue_page_stays_small(staff_client, session, routed_case, officer):
    for category in Category:
        if category is not Category.BRIBE_OR_HARASSMENT:
            routed_case(category=category)
    body = staff_client(officer).get("/staff/").get_data()
    assert len(body) < 150_000 and b"<script" not in body


# A ministry a complaint was routed to as "also concerned" (the Finance Division for a
# payment failure) reads it under its own role's rules and adds notes; the lead acts.


@pytest.fixture(params=["development", "production"])
def signed_in(request, app, session):
    """signed_in(user): a staff client of the development app or of a production start
    (SECRET_KEY set, Secure cookies, so the client speaks HTTPS)."""
    from tests.staff.conftest import StaffClient

    def make(user):
        if request.param == "production":
            test_client = request.getfixturevalue("production_app").test_client()
            test_client.environ_base["wsgi.url_scheme"] = "https"
        else:
            test_client = app.test_client()
        client = StaffClient(test_client)
        assert client.sign_in(user).status_code == 302
        return client

    return make


def act(client, grievance, action, **form):
    return client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": action, **form})


def csv_numbers(client) -> list[str]:
    import csv
    import io

    rows = csv.DictReader(io.StringIO(client.get("/staff/queue.csv").get_data(as_text=True)))
    return [row["tracking_number"] for row in rows]


def test_an_also_concerned_ministry_reads_the_case_and_adds_notes_but_only_the_lead_acts(
    signed_in, session, routed_case, officer
):
    grievance = routed_case()  # OAA, payment not received: MOSW leads, the Finance Division also
    assert (grievance.ministry_code, grievance.also_ministry_code) == ("MOSW", "FD")
    finance = make_staff(session, "officer", ministry_code="FD")
    session.commit()
    client = signed_in(finance)
    queue = client.get("/staff/").get_data(as_text=True)
    assert grievance.tracking_number in queue and "Also concerned; lead: Ministry of Social Welfare" in queue
    assert 'name="case"' not in queue  # nothing to bulk-acknowledge: the lead acknowledges
    assert csv_numbers(client) == [grievance.tracking_number]
    case_page = page(client, grievance)
    body = case_page.get_data(as_text=True)
    assert (
        case_page.status_code == 200
        and 'id="also-concerned"' in body
        and "Also concerned; lead: Ministry of Social Welfare" in body
    )
    assert '<option value="note">' in body and '<option value="resolve">' not in body and 'id="to"' not in body
    assert act(client, grievance, "note", note="G2P unit: the bKash transfer bounced").status_code == 303
    for action, form in [
        ("acknowledge", {}),
        ("resolve", {"note": "paid"}),
        ("reject", {"note": "not ours"}),
        ("transfer", {"to": "FD", "note": "ours after all"}),
        ("ask", {"note": "which wallet?"}),
    ]:
        refused = act(client, grievance, action, **form)
        assert refused.status_code == 403, action
        assert "Only the lead ministry (MOSW) may change this complaint" in refused.get_data(as_text=True)
    assert client.post("/staff/queue/acknowledge", {"case": [grievance.tracking_number]}).status_code == 302
    session.expire_all()
    assert (grievance.status.value, grievance.ministry_code, grievance.assigned_to) == ("routed", "MOSW", None)
    assert "G2P unit: the bKash transfer bounced" in page(client, grievance).get_data(as_text=True)
    # The lead ministry still works it to the end.
    lead = signed_in(officer)
    assert "Also concerned" not in page(lead, grievance).get_data(as_text=True)
    assert act(lead, grievance, "acknowledge").status_code == 303
    assert act(lead, grievance, "resolve", note="paid on 20 Nov").status_code == 303
    session.expire_all()
    assert grievance.status.value == "resolved"


def test_a_ministry_neither_leading_nor_concerned_still_gets_404(signed_in, session, routed_case):
    grievance = routed_case()  # MOSW, also FD
    food = make_staff(session, "officer", ministry_code="MOFOOD")
    session.commit()
    client = signed_in(food)
    assert page(client, grievance).status_code == 404
    assert act(client, grievance, "note", note="probe").status_code == 404
    assert grievance.tracking_number not in client.get("/staff/").get_data(as_text=True)
    assert csv_numbers(client) == []


def test_the_also_concerned_ministry_keeps_its_role_rules(signed_in, session, routed_case):
    dhaka_id, _ = place(session, "Dhaka")
    # Different programmes (all MOSW's): the same complaint twice in a day is one complaint.
    cumilla_case, dhaka_case = routed_case(), routed_case(district="Dhaka", programme_code="WDA")
    escalated = routed_case(programme_code="PDA")
    escalated.tier = 2
    finance_dhaka = make_staff(session, "officer", ministry_code="FD", district_ids=[dhaka_id])
    finance_gro = make_staff(session, "gro", ministry_code="FD")
    session.commit()
    as_officer, as_gro = signed_in(finance_dhaka), signed_in(finance_gro)
    cases = (cumilla_case, dhaka_case, escalated)
    assert [page(as_officer, g).status_code for g in cases] == [404, 200, 404]
    assert [page(as_gro, g).status_code for g in cases] == [404, 404, 200]


def test_sensitive_cases_stay_with_the_lead_ministrys_redress_officer(signed_in, session, routed_case):
    bribe = routed_case(category=Category.BRIBE_OR_HARASSMENT)
    bribe.also_ministry_code = "FD"  # no rule routes one so today; a rule added later must not leak it
    escalated_bribe = routed_case(category=Category.BRIBE_OR_HARASSMENT, programme_code="WDA")
    escalated_bribe.also_ministry_code, escalated_bribe.tier = "FD", 2
    lead_gro = make_staff(session, "gro")
    finance_officer = make_staff(session, "officer", ministry_code="FD")
    finance_gro = make_staff(session, "gro", ministry_code="FD")
    session.commit()
    assert [page(signed_in(lead_gro), g).status_code for g in (bribe, escalated_bribe)] == [200, 200]
    for user in (finance_officer, finance_gro):
        client = signed_in(user)
        assert [page(client, g).status_code for g in (bribe, escalated_bribe)] == [404, 404]
        assert csv_numbers(client) == []


# A bribe report, however it arrives, is for the lead ministry's redress officer alone: the
# local office may be the one that asked for the money.


def _bribe_report_readers(session, signed_in, grievance):
    lead_officer = make_staff(session, "officer")
    lead_gro = make_staff(session, "gro")
    finance_officer = make_staff(session, "officer", ministry_code="FD")
    finance_gro = make_staff(session, "gro", ministry_code="FD")
    session.commit()
    return {
        user.email: (page(client, grievance).status_code, grievance.tracking_number in csv_numbers(client))
        for user in (lead_officer, lead_gro, finance_officer, finance_gro)
        for client in [signed_in(user)]
    }, lead_gro.email


@pytest.mark.parametrize(
    ("channel", "category", "text"),
    [
        (Channel.USSD, Category.BRIBE_OR_HARASSMENT, None),  # the menu's "bribe or money asked"
        (Channel.USSD, Category.AMOUNT_SHORT, "মেম্বার ৫০০ টাকা চেয়েছে"),  # "paid less", in its words a bribe
        (Channel.SMS, Category.OTHER, "member taka chaise card er jonno"),
        (Channel.STAFF, Category.PAYMENT_NOT_RECEIVED, "ঘুষ ছাড়া ভাতা দেয় না"),  # payments also concern FD
    ],
)
def test_a_bribe_report_from_any_channel_reaches_only_the_lead_redress_officer(
    signed_in, session, routed_case, channel, category, text
):
    grievance = routed_case(channel=channel, category=category, text=text)
    assert grievance.category is Category.BRIBE_OR_HARASSMENT and grievance.upazila_id is not None
    assert (grievance.ministry_code, grievance.office_level, grievance.also_ministry_code) == (
        "MOSW",
        "ministry_gro",
        None,
    )
    readers, lead_gro = _bribe_report_readers(session, signed_in, grievance)
    assert readers.pop(lead_gro) == (200, True)
    assert set(readers.values()) == {(404, False)}  # the local officer and the Finance Division


def test_a_bribe_report_by_sms_reaches_only_the_lead_redress_officer(signed_in, session, no_dispatch):
    """Through the SMS command itself, from a registered citizen whose upazila is known."""
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    assert answer(session, citizen.mobile, "অভিযোগ চেয়ারম্যান কার্ডের জন্য ১০০০ টাকা চেয়েছে").text
    grievance = session.scalar(select(Grievance))
    route_grievance(grievance.id)
    session.refresh(grievance)
    assert grievance.upazila_id is not None  # a local office could have taken it
    assert (grievance.channel, grievance.category, grievance.office_level) == (
        Channel.SMS,
        Category.BRIBE_OR_HARASSMENT,
        "ministry_gro",
    )
    readers, lead_gro = _bribe_report_readers(session, signed_in, grievance)
    assert readers.pop(lead_gro) == (200, True)
    assert set(readers.values()) == {(404, False)}


def test_paid_less_stays_with_the_local_officer(staff_client, session, routed_case, officer):
    grievance = routed_case(category=Category.AMOUNT_SHORT, text="৫০০ টাকা কম দিয়েছে")
    gro = make_staff(session, "gro")
    session.commit()
    assert (grievance.category, grievance.office_level) == (Category.AMOUNT_SHORT, "upazila")
    assert page(staff_client(officer), grievance).status_code == 200
    assert page(staff_client(gro), grievance).status_code == 404


# Upazila offices. Routing sends a case to its ministry's upazila office, district office or
# redress officer; an officer limited to upazilas works the first kind in those upazilas only.


def _two_upazilas(session, district: str = "Cumilla") -> tuple[int, int, int]:
    """A district's id and two of its upazilas' (neighbours: same district, same ministry)."""
    district_id = session.scalar(select(District.id).where(District.name_en == district))
    first, second = session.scalars(
        select(Upazila.id).where(Upazila.district_id == district_id).order_by(Upazila.id).limit(2)
    )
    return district_id, first, second


@pytest.fixture
def filed_in(session, no_dispatch):
    """filed_in(upazila_id, **filing): a complaint by a registered citizen of that upazila,
    from the citizen's own phone, routed."""

    def make(upazila_id, **changes):
        district = session.get(District, session.get(Upazila, upazila_id).district_id).name_en
        citizen = make_citizen(session, district=district, upazila_id=upazila_id)
        session.commit()
        filing = make_filing(citizen_id=citizen.id, phone=citizen.mobile, **changes)
        grievance = file_grievance(session, filing).grievance
        route_grievance(grievance.id)
        session.refresh(grievance)
        return grievance

    return make


def _reach(signed_in, users, grievance) -> dict[str, tuple[int, bool, bool]]:
    """Per user: the case page's status, and whether the queue and the CSV list the case."""
    reach = {}
    for name, user in users.items():
        client = signed_in(user)
        queue = client.get("/staff/").get_data(as_text=True)
        in_csv = grievance.tracking_number in csv_numbers(client)
        reach[name] = (page(client, grievance).status_code, grievance.tracking_number in queue, in_csv)
    return reach


SEES, MISSES = (200, True, True), (404, False, False)


def test_an_officer_limited_to_an_upazila_sees_its_cases_and_not_the_neighbours(staff_client, session, filed_in):
    _, upazila_a, upazila_b = _two_upazilas(session)
    in_a, in_b = filed_in(upazila_a), filed_in(upazila_b)
    assert (in_a.office_level, in_b.office_level, in_a.district_id) == ("upazila", "upazila", in_b.district_id)
    officer = make_staff(session, "officer", upazila_ids=[upazila_a])
    session.commit()
    client = staff_client(officer)
    assert page(client, in_a).status_code == 200 and page(client, in_b).status_code == 404
    queue = client.get("/staff/").get_data(as_text=True)
    assert in_a.tracking_number in queue and in_b.tracking_number not in queue
    assert csv_numbers(client) == [in_a.tracking_number]
    # Acting on the neighbour's case, one by one or in bulk, is 404 or nothing.
    for action, form in [("acknowledge", {}), ("note", {"note": "probe"}), ("resolve", {"note": "done"})]:
        assert act(client, in_b, action, **form).status_code == 404, action
    numbers = [in_a.tracking_number, in_b.tracking_number]
    assert client.post("/staff/queue/acknowledge", {"case": numbers}).status_code == 302
    session.expire_all()
    assert (in_a.status.value, in_b.status.value) == ("acknowledged", "routed")
    assert in_b.assigned_to is None and len(in_b.events) == 2  # received, routed: nothing added


def test_a_case_routed_to_an_upazila_office_reaches_exactly_that_upazilas_officers(signed_in, session, filed_in):
    cumilla, upazila_a, upazila_b = _two_upazilas(session)
    dhaka, dhaka_upazila, _ = _two_upazilas(session, "Dhaka")
    grievance = filed_in(upazila_a)  # OAA, payment not received: MOSW's upazila office, also the Finance Division
    assert (grievance.ministry_code, grievance.office_level, grievance.also_ministry_code) == ("MOSW", "upazila", "FD")
    users = {
        "this upazila": make_staff(session, "officer", upazila_ids=[upazila_a]),
        "this upazila and another district's": make_staff(session, "officer", upazila_ids=[dhaka_upazila, upazila_a]),
        "its district": make_staff(session, "officer", district_ids=[cumilla]),
        "the whole ministry": make_staff(session, "officer"),
        "the Finance Division in this upazila": make_staff(
            session, "officer", ministry_code="FD", upazila_ids=[upazila_a]
        ),
        "the neighbouring upazila": make_staff(session, "officer", upazila_ids=[upazila_b]),
        "another district": make_staff(session, "officer", district_ids=[dhaka]),
        "another ministry in this upazila": make_staff(
            session, "officer", ministry_code="MOFOOD", upazila_ids=[upazila_a]
        ),
        "the redress officer": make_staff(session, "gro"),  # tier 1, not sensitive: not theirs
    }
    session.commit()
    assert _reach(signed_in, users, grievance) == {
        "this upazila": SEES,
        "this upazila and another district's": SEES,
        "its district": SEES,
        "the whole ministry": SEES,
        "the Finance Division in this upazila": SEES,
        "the neighbouring upazila": MISSES,
        "another district": MISSES,
        "another ministry in this upazila": MISSES,
        "the redress officer": MISSES,
    }


def test_a_case_routed_to_the_district_office_is_the_districts_not_its_upazila_officers(signed_in, session, filed_in):
    cumilla, upazila_a, _ = _two_upazilas(session)
    # Freedom fighters' honoraria are handled by MOLWA's district office (the routing rules).
    grievance = filed_in(upazila_a, programme_code="FFH", category=Category.AMOUNT_SHORT)
    assert (grievance.ministry_code, grievance.office_level, grievance.upazila_id) == ("MOLWA", "district", upazila_a)
    users = {
        "its district": make_staff(session, "officer", ministry_code="MOLWA", district_ids=[cumilla]),
        "the whole ministry": make_staff(session, "officer", ministry_code="MOLWA"),
        "the complainant's upazila": make_staff(session, "officer", ministry_code="MOLWA", upazila_ids=[upazila_a]),
    }
    session.commit()
    assert _reach(signed_in, users, grievance) == {
        "its district": SEES,
        "the whole ministry": SEES,
        "the complainant's upazila": MISSES,
    }


def test_a_case_without_an_upazila_reaches_no_upazila_officer(staff_client, session, no_dispatch):
    cumilla, upazila_a, _ = _two_upazilas(session)
    # An unregistered caller: no place, so routing gives it to the ministry, not a local office.
    grievance = file_grievance(session, make_filing(phone="+8801811111111")).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    assert (grievance.upazila_id, grievance.office_level) == (None, "ministry_gro")
    upazila_officer = make_staff(session, "officer", upazila_ids=[upazila_a])
    district_officer = make_staff(session, "officer", district_ids=[cumilla])
    whole_ministry = make_staff(session, "officer")
    session.commit()
    readers = (upazila_officer, district_officer, whole_ministry)

    def statuses():
        return [page(staff_client(user), grievance).status_code for user in readers]

    assert statuses() == [404, 404, 200]
    # Placed by its district only (no intake does so today): a district limit covers it, an upazila one not.
    grievance.district_id = cumilla
    session.commit()
    assert statuses() == [404, 200, 200]


def test_an_officer_limited_to_districts_and_upazilas_sees_the_districts_wholly_plus_the_upazilas(
    staff_client, session, filed_in
):
    dhaka, dhaka_first, dhaka_second = _two_upazilas(session, "Dhaka")
    _, upazila_a, upazila_b = _two_upazilas(session)
    cases = [filed_in(dhaka_first), filed_in(dhaka_second), filed_in(upazila_a), filed_in(upazila_b)]
    officer = make_staff(session, "officer", district_ids=[dhaka], upazila_ids=[upazila_a])
    session.commit()
    client = staff_client(officer)
    assert [page(client, g).status_code for g in cases] == [200, 200, 200, 404]
    assert sorted(csv_numbers(client)) == sorted(g.tracking_number for g in cases[:3])
