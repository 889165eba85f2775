"""Every role sees exactly what it should; another ministry's case answers 404."""

import pytest

from grievance.models import Category
from tests.factories import make_staff, place


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
