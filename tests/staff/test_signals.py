"""The Signals page: who sees which items, masked, and review cases opened from them."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from grievance.jobs import route_grievance
from grievance.models import Channel, Grievance
from registry.models import OutletProgramme
from staff import signal_store, signals
from staff.models import StaffAudit
from tests.factories import make_citizen, make_enrolment, make_staff
from tests.monitoring.conftest import make_outlet, make_redemption

REVIEW_PHONE = "+8801911111111"


@pytest.fixture
def review_phone(app, monkeypatch):
    monkeypatch.setitem(app.config, signals.REVIEW_PHONE, REVIEW_PHONE)
    return REVIEW_PHONE


@pytest.fixture
def planted(session):
    """An FFP dealer (Food Security cluster, MOFOOD) with one redemption, and a person in both
    OAA and WDA (Social Allowance cluster, MOSW)."""
    outlet = make_outlet(session, code="OUTFOOD1", name_en="Rahman Rice Store")
    session.add(OutletProgramme(outlet_id=outlet.id, programme_code="FFP"))
    beneficiary = make_citizen(session, rescore=False, mobile="+8801712345678")
    make_redemption(session, outlet, dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC), citizen=beneficiary)
    both = make_citizen(session, rescore=False, mobile="+8801812345678")
    make_enrolment(session, both, "OAA")
    make_enrolment(session, both, "WDA")
    session.commit()
    signal_store.refresh(session)  # as the scheduler's job would have
    return {"outlet": outlet, "beneficiary": beneficiary, "both": both}


def _section(html: str, name: str) -> str:
    found = re.search(rf'<section id="signal-{name}" class="signal">(.*?)</section>', html, re.S)
    assert found, name
    return found.group(1)


@pytest.mark.parametrize("role", ["officer", "gro"])
def test_ministry_staff_get_404_for_the_page_and_the_review(session, staff_client, role, review_phone, planted):
    client = staff_client(make_staff(session, role))
    assert client.get("/staff/signals").status_code == 404
    assert client.post("/staff/signals/outlets/review", {"item": "x"}).status_code == 404
    assert "signals-link" not in client.get("/staff/dashboard").get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/staff/signals")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("role", ["monitoring", "admin"])
def test_monitoring_and_admin_see_every_signal(session, staff_client, role, planted):
    client = staff_client(make_staff(session, role))
    html = client.get("/staff/signals").get_data(as_text=True)
    for name in signals.SIGNALS:
        assert f'id="signal-{name}"' in html
    assert "OUTFOOD1" in _section(html, "outlets")
    assert planted["both"].nid[-3:] in _section(html, "exclusive_programmes")


def test_a_coordinator_sees_only_their_cluster_s_items(session, staff_client, planted):
    social = staff_client(make_staff(session, "coordinator", cluster_code="SA"))
    html = social.get("/staff/signals").get_data(as_text=True)
    assert "OUTFOOD1" not in html  # an FFP dealer: the Food Security cluster
    assert "Allowance for Widowed, Deserted and Destitute Women" in _section(html, "exclusive_programmes")
    assert 'id="cluster-note"' in html
    assert "This signal names no programme" in _section(html, "shared_accounts")

    food = staff_client(make_staff(session, "coordinator", cluster_code="FS"))
    html = food.get("/staff/signals").get_data(as_text=True)
    assert "OUTFOOD1" in _section(html, "outlets")
    assert "WDA" not in _section(html, "exclusive_programmes")


def test_a_coordinator_cannot_open_a_case_for_another_cluster_s_item(session, staff_client, review_phone, planted):
    monitoring = signals.View(session, make_staff(session, "monitoring"))
    outlet_item = monitoring.find("outlets", monitoring.section("outlets").items[0].key)
    social = staff_client(make_staff(session, "coordinator", cluster_code="SA"))
    social.get("/staff/signals")
    assert social.post("/staff/signals/outlets/review", {"item": outlet_item.key}).status_code == 404
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_the_drill_down_shows_no_full_nid_phone_or_account(session, staff_client, planted):
    holder = make_citizen(session, rescore=False, mobile="+8801512345678")
    for _ in range(3):  # one wallet number paid for three households
        person = make_citizen(session, rescore=False)
        make_enrolment(session, person, "OAA", account_number="01598765432")
    session.commit()
    signal_store.refresh(session)
    client = staff_client(make_staff(session, "monitoring"))
    html = client.get("/staff/signals").get_data(as_text=True)
    assert "**5432" in _section(html, "shared_accounts")
    for secret in (
        "01598765432",
        "1598765432",
        planted["both"].nid,
        planted["beneficiary"].nid,
        planted["beneficiary"].mobile,
        holder.mobile,
    ):
        assert secret not in html


def test_a_review_case_opens_once_per_click_for_the_responsible_ministry(
    session, staff_client, review_phone, planted, no_dispatch
):
    user = make_staff(session, "monitoring")
    client = staff_client(user)
    html = client.get("/staff/signals").get_data(as_text=True)
    section = _section(html, "exclusive_programmes")
    assert "Ministry of Social Welfare" in section  # the page names the ministry the case goes to
    key = re.search(r'name="item" value="([0-9a-f]+)"', section).group(1)

    response = client.post("/staff/signals/exclusive_programmes/review", {"item": key})
    assert response.status_code == 303
    [case] = session.scalars(select(Grievance)).all()
    route_grievance(case.id)
    session.refresh(case)
    assert (case.programme_code, case.ministry_code, case.channel) == ("OAA", "MOSW", Channel.STAFF)
    assert case.contact_phone == REVIEW_PHONE and case.citizen_id is None
    assert planted["both"].nid not in case.text
    [entry] = session.scalars(select(StaffAudit).where(StaffAudit.action == "open_review_case")).all()
    assert (entry.staff_id, entry.grievance_id, entry.detail["signal"]) == (user.id, case.id, "exclusive_programmes")

    again = client.post("/staff/signals/exclusive_programmes/review", {"item": key}, follow_redirects=True)
    assert case.tracking_number in again.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Grievance)) == 1


def test_a_review_without_the_form_token_is_refused(session, staff_client, review_phone, planted, no_dispatch):
    client = staff_client(make_staff(session, "admin"))
    html = client.get("/staff/signals").get_data(as_text=True)
    key = re.search(r'name="item" value="([0-9a-f]+)"', _section(html, "outlets")).group(1)
    assert client.post("/staff/signals/outlets/review", {"item": key}, token=False).status_code == 400
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0
    assert client.post("/staff/signals/outlets/review", {"item": "0" * 20}).status_code == 404
    assert client.post("/staff/signals/no_such/review", {"item": key}).status_code == 404


def test_without_a_review_phone_no_case_is_opened(session, staff_client, planted, no_dispatch):
    client = staff_client(make_staff(session, "admin"))
    html = client.get("/staff/signals").get_data(as_text=True)
    assert 'id="no-review-phone"' in html and "open-review" not in html
    key = signals.View(session, make_staff(session, "admin")).section("outlets").items[0].key
    assert client.post("/staff/signals/outlets/review", {"item": key}).status_code == 409
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_the_drill_down_is_paged(session, staff_client, planted):
    for _ in range(signals.PAGE_SIZE + 1):
        make_outlet(session)
    session.commit()
    signal_store.refresh(session)
    client = staff_client(make_staff(session, "monitoring"))
    first = _section(client.get("/staff/signals").get_data(as_text=True), "outlets")
    assert first.count('class="open-review"') <= signals.PAGE_SIZE and "1 / 2" in first
    second = _section(client.get("/staff/signals?signal=outlets&page=2").get_data(as_text=True), "outlets")
    assert "2 / 2" in second
    assert client.get("/staff/signals?signal=outlets&page=x").status_code == 200


def test_the_bangla_page_has_no_untranslated_words_of_its_own(session, staff_client, planted):
    from staff import signal_labels

    client = staff_client(make_staff(session, "monitoring", language="bn"))
    html = client.get("/staff/signals").get_data(as_text=True)
    english = [
        "Signals column:",
        "Signals:",
        "How it is found",
        "Responsible ministry",
        "Nothing found.",
        "Patterns in the data",
    ]
    english += [text._args[0] for text in signal_labels.SUMMARIES.values()]  # the msgids
    for text in english:
        assert text not in html, text
