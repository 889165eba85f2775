"""Dashboard figures, checked against SQL written independently here."""

import datetime as dt
import statistics

import pytest
from sqlalchemy import text

from foundation.clock import utcnow
from grievance.models import Category, Status
from grievance.status import change_status
from registry.models import PaymentChannel, PaymentStatus
from staff import dashboards
from tests.factories import make_citizen, make_enrolment, make_payment, make_staff


def test_numbers_match_independent_sql(session, routed_case):
    cases = [routed_case(category=c) for c in (Category.AMOUNT_SHORT, Category.WRONG_DATA, Category.EXCLUDED)]
    food = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # another ministry
    cases[0].due_at = utcnow() - dt.timedelta(days=2)  # overdue
    change_status(session, cases[1], Status.RESOLVED, "officer", "done")
    for n, channel in enumerate([PaymentChannel.BKASH] * 3 + [PaymentChannel.NAGAD]):
        person = make_citizen(session, age=70)
        make_enrolment(session, person, "OAA")
        make_payment(
            session, person, "OAA", channel=channel, status=PaymentStatus.FAILED if n == 0 else PaymentStatus.CREDITED
        )
    session.commit()

    board = dashboards.build(session, dashboards.Scope("ministry", "MOSW"))

    def sql(query, **params):
        return session.execute(text(query), params).all()

    [(open_, overdue)] = sql(
        "SELECT count(*), sum(CASE WHEN due_at < :now THEN 1 ELSE 0 END) FROM grievances "
        "WHERE ministry_code = 'MOSW' AND status IN ('routed','acknowledged','in_progress','transferred',"
        "'reopened','appealed')",
        now=utcnow(),
    )
    assert (board.open, board.overdue) == (open_, overdue) == (2, 1)
    assert food.ministry_code != "MOSW"
    categories = sql(
        "SELECT category, count(*) FROM grievances WHERE ministry_code = 'MOSW' GROUP BY category "
        "ORDER BY count(*) DESC, category LIMIT 5"
    )
    assert board.top_categories == [tuple(row) for row in categories]
    channels = sql(
        "SELECT p.channel, count(*), sum(CASE WHEN p.status IN ('failed','returned') THEN 1 ELSE 0 END) "
        "FROM payments p JOIN programmes g ON g.code = p.programme_code "
        "WHERE g.lead_ministry_code = 'MOSW' AND p.status <> 'scheduled' GROUP BY p.channel"
    )
    expected = sorted(((c, t, b, b / t) for c, t, b in channels), key=lambda row: -row[3])
    assert board.payment_failures == expected and board.payment_failures[0][:3] == ("bkash", 3, 1)
    [(cumilla_cases,)] = sql(
        "SELECT count(*) FROM grievances g JOIN districts d ON d.id = g.district_id "
        "WHERE g.ministry_code = 'MOSW' AND d.name_en = 'Cumilla'"
    )
    [(cumilla_people,)] = sql(
        "SELECT count(DISTINCT e.citizen_id) FROM enrolments e JOIN citizens c ON c.id = e.citizen_id "
        "JOIN districts d ON d.id = c.district_id JOIN programmes g ON g.code = e.programme_code "
        "WHERE d.name_en = 'Cumilla' AND g.lead_ministry_code = 'MOSW' AND e.status = 'active'"
    )
    [cumilla] = [row for row in board.by_district if row[0] == "Cumilla"]
    assert cumilla == ("Cumilla", cumilla_cases, cumilla_people, 10_000 * cumilla_cases / cumilla_people)
    assert board.median_resolution_working_days == statistics.median([0])  # resolved the day it was filed
    assert sum(count for _week, count in board.weekly) == 3 + 0  # this ministry's complaints, this week
    # Breach: of the 3 with a deadline, the overdue open one.
    assert board.breach_rate == 1 / 3


def test_the_dashboard_page_is_small_and_draws_svg(staff_client, session, routed_case, officer):
    routed_case()
    response = staff_client(officer).get("/staff/dashboard")
    body = response.get_data()
    assert response.status_code == 200 and len(body) < 150_000
    assert b"<svg" in body and b"<script" not in body and b"http://" not in body.replace(b'"http://www.w3.org', b"")


UNKNOWN_SCOPES = [
    "ministry:NOPE",
    "cluster:NOPE",
    "ministry:",
    "cluster:",
    "district:Cumilla",
    "garbage",
    "ministry:MOSW' OR '1'='1",
    "ministry:" + "M" * 5000,
    "ministry:MOSW\x00",
    "ministry:ＭＯＳＷ",  # fullwidth letters
]


@pytest.fixture
def monitoring_client(staff_client, session):
    def make(language="en"):
        return staff_client(make_staff(session, "monitoring", language=language))

    session.commit()
    return make


@pytest.mark.parametrize("scope", UNKNOWN_SCOPES)
def test_a_scope_naming_no_ministry_or_cluster_is_not_found(monitoring_client, scope):
    response = monitoring_client().get("/staff/dashboard", query_string={"scope": scope})
    assert response.status_code == 404 and 'id="problem">Not found.<' in response.get_data(as_text=True)


def test_the_not_found_page_speaks_the_users_language(monitoring_client):
    response = monitoring_client(language="bn").get("/staff/dashboard?scope=ministry:NOPE")
    assert response.status_code == 404 and "পাওয়া যায়নি" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("scope", "shown"),
    [
        ("ministry:MOSW", "ministry MOSW"),
        ("ministry:mosw", "ministry MOSW"),
        ("cluster:SA", "cluster SA"),
        (" cluster:fs ", "cluster FS"),
        ("all", "all"),
        ("", "all"),
    ],
)
def test_real_ministries_and_clusters_are_shown(monitoring_client, scope, shown):
    response = monitoring_client().get("/staff/dashboard", query_string={"scope": scope})
    assert response.status_code == 200
    assert f'<span id="scope">{shown}' in response.get_data(as_text=True)


def test_monitoring_may_choose_clusters_too(monitoring_client):
    page = monitoring_client().get("/staff/dashboard?scope=cluster:SA").get_data(as_text=True)
    assert '<option value="cluster:SA" selected>' in page and '<option value="ministry:MOSW" >' in page


def test_an_officer_sees_their_ministry_whatever_scope_they_ask_for(staff_client, officer):
    response = staff_client(officer).get("/staff/dashboard?scope=ministry:NOPE")
    assert response.status_code == 200 and '<span id="scope">ministry MOSW' in response.get_data(as_text=True)


def test_new_scope_strings_add_no_cache_entries(app, monitoring_client):
    client = monitoring_client()
    assert client.get("/staff/dashboard?scope=ministry:MOSW").status_code == 200
    size = len(app.extensions["sahayata.cache"])
    for n in range(50):
        assert client.get(f"/staff/dashboard?scope=ministry:X{n}").status_code == 404
    assert client.get("/staff/dashboard?scope=ministry:mosw").status_code == 200  # the same entry as MOSW
    assert len(app.extensions["sahayata.cache"]) == size


def test_an_unknown_scope_is_not_found_in_production(make_production_app, session):
    from tests.staff.conftest import StaffClient

    production = make_production_app()
    client = production.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # production cookies are Secure
    user = make_staff(session, "monitoring")
    session.commit()
    browser = StaffClient(client)
    assert browser.sign_in(user).status_code == 302
    assert browser.get("/staff/dashboard?scope=cluster:SA").status_code == 200
    assert browser.get("/staff/dashboard?scope=cluster:NOPE").status_code == 404


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.dictionaries(st.integers(0, 60), st.integers(1, 5), min_size=1))
def test_the_median_from_counts_is_the_median_of_all_cases(counts):
    expanded = [value for value, n in counts.items() for _ in range(n)]
    assert dashboards._weighted_median(counts) == statistics.median(expanded)


def test_the_dashboard_warns_when_next_years_lunar_holidays_are_unconfirmed(
    staff_client, session, officer, monkeypatch
):
    from sqlalchemy import delete

    from foundation.cache import clear
    from grievance.calendar import year_calendar
    from grievance.holiday_changes import record_change
    from grievance.models import HolidayAction, HolidayChange

    monkeypatch.setattr(dashboards, "utcnow", lambda: dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC))
    client = staff_client(officer)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'id="calendar-warning"' in page and "lunar holidays are not confirmed yet" in page
    try:
        record_change(session, dt.date(2027, 3, 10), HolidayAction.CONFIRM, "clerk")
        session.commit()
        clear()  # the board itself is cached for a minute
        assert 'id="calendar-warning"' in client.get("/staff/dashboard").get_data(as_text=True)  # one of many
        for holiday in year_calendar(session, 2027):
            if not holiday.confirmed:
                record_change(session, holiday.day, HolidayAction.CONFIRM, "clerk")
        record_change(session, dt.date(2027, 10, 10), HolidayAction.ADD, "clerk", "Durga Puja (Bijoya Dashami)")
        session.commit()
        clear()
        assert 'id="calendar-warning"' not in client.get("/staff/dashboard").get_data(as_text=True)
    finally:
        session.execute(delete(HolidayChange))
        session.commit()
    monkeypatch.setattr(dashboards, "utcnow", lambda: dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC))
    clear()
    assert 'id="calendar-warning"' not in client.get("/staff/dashboard").get_data(as_text=True)


def _answer(session, programme, channel, received):
    from registry.models import PaymentConfirmation

    person = make_citizen(session, rescore=False)
    make_enrolment(session, person, programme)
    payment = make_payment(session, person, programme, channel=channel, status=PaymentStatus.CREDITED)
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow(), received=received))


def test_redemptions_and_confirmations_join_the_ministry_and_cluster_boards(session, no_dispatch):
    from decimal import Decimal

    from grievance.intake import file_grievance
    from registry.models import OutletProgramme
    from tests.factories import make_filing
    from tests.monitoring.conftest import dhaka, make_outlet, make_redemption, other_upazila

    honest, shady = make_outlet(session, code="OUTHONEST"), make_outlet(session, code="OUTSHADY")
    for outlet in (honest, shady):
        session.add(OutletProgramme(outlet_id=outlet.id, programme_code="FFP"))
    for n in range(3):
        make_redemption(session, honest, dhaka(2026, 3, 2, 10 + n))
    disputed = make_redemption(session, shady, dhaka(2026, 3, 2, 23), quantity=Decimal(20))
    stranger = make_citizen(session, rescore=False)
    stranger.upazila_id = other_upazila(session, shady.upazila_id)
    make_redemption(session, shady, dhaka(2026, 3, 2, 11), citizen=stranger)
    for received in (True, True, False):
        _answer(session, "FFP", PaymentChannel.NAGAD, received)
    _answer(session, "FFP", PaymentChannel.BKASH, False)
    _answer(session, "OAA", PaymentChannel.BKASH, True)  # another ministry and cluster
    _answer(session, "FFP", PaymentChannel.ROCKET, None)  # asked, not answered
    session.commit()
    file_grievance(session, make_filing(redemption_id=disputed.id, programme_code="FFP"))

    for scope in (dashboards.Scope("ministry", "MOFOOD"), dashboards.Scope("cluster", "FS")):
        board = dashboards.build(session, scope, now=utcnow())
        assert board.redemptions == [("kg rice", 5, 140.0)]
        assert board.confirmations == (5, 2, 2)
        assert [row[1] for row in board.worst_outlets] == ["OUTSHADY", "OUTHONEST"]
        assert board.worst_outlets[0][2:] == (2, 0.5, 1, 1)
        assert [(c, rate) for c, _a, _y, _n, rate in board.worst_channels] == [("bkash", 1.0), ("nagad", 1 / 3)]

    social = dashboards.build(session, dashboards.Scope("ministry", "MOSW"), now=utcnow())
    assert (social.redemptions, social.confirmations, social.worst_outlets) == ([], (1, 1, 0), [])


def test_the_dashboard_page_shows_the_new_figures(session, staff_client):
    _answer(session, "FFP", PaymentChannel.NAGAD, False)
    session.commit()
    html = (
        staff_client(make_staff(session, "officer", ministry_code="MOFOOD"))
        .get("/staff/dashboard")
        .get_data(as_text=True)
    )
    assert 'id="confirmations-denied">1<' in html and 'id="worst-channels"' in html and "nagad" in html
