"""Dashboard figures: computed by the refresh job (checked against SQL written independently
here), read by page views without touching the registry, dated, and shown as rates only over
a large enough denominator."""

import datetime as dt
import re
import statistics
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from foundation import screen_counts
from foundation.clock import as_utc, utcnow
from foundation.db import database
from foundation.jobs import redis_connection
from grievance.models import Category, Status
from grievance.status import change_status
from registry.models import Citizen, Cluster, Ministry, PaymentChannel, PaymentStatus
from staff import aggregates, dashboard_page, dashboards
from staff.aggregates import DashboardFigures
from tests.factories import make_citizen, make_enrolment, make_payment, make_staff

MOSW = dashboards.Scope("ministry", "MOSW")


@pytest.fixture
def minimum(app, monkeypatch):
    """minimum(n): SAHAYATA_RATE_MIN_DENOMINATOR for this test."""
    return lambda n: monkeypatch.setitem(app.config, dashboards.RATE_MIN_DENOMINATOR, n)


def refreshed(session, scope=MOSW, now=None):
    aggregates.refresh(session, now=now)
    return aggregates.read(session, scope)


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

    board = refreshed(session)

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
    assert sorted(board.payment_failures) == sorted(tuple(row) for row in channels)
    assert board.payment_failures[0] == ("bkash", 3, 1)  # no rate reaches the minimum: most failures first
    [(cumilla, cumilla_cases)] = sql(
        "SELECT d.id, count(*) FROM grievances g JOIN districts d ON d.id = g.district_id "
        "WHERE g.ministry_code = 'MOSW' AND d.name_en = 'Cumilla' GROUP BY d.id"
    )
    [(cumilla_people,)] = sql(
        "SELECT count(DISTINCT e.citizen_id) FROM enrolments e JOIN citizens c ON c.id = e.citizen_id "
        "JOIN districts d ON d.id = c.district_id JOIN programmes g ON g.code = e.programme_code "
        "WHERE d.name_en = 'Cumilla' AND g.lead_ministry_code = 'MOSW' AND e.status = 'active'"
    )
    assert (cumilla, cumilla_cases, cumilla_people) in board.by_district
    assert board.median_resolution_working_days == statistics.median([0])  # resolved the day it was filed
    assert sum(count for _week, count in board.weekly) == 3 + 0  # this ministry's complaints, this week
    # Breach: of the 3 with a deadline, the overdue open one.
    assert (board.with_deadline, board.breached) == (3, 1)


def test_one_refresh_stores_every_scope_and_a_cluster_adds_up_its_ministries(session, routed_case):
    routed_case()  # OAA: MOSW, Social Allowance
    routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # MOFOOD, Food Security
    aggregates.refresh(session)
    stored = set(session.scalars(select(DashboardFigures.scope)))
    ministries = {f"ministry:{code}" for code in session.scalars(select(Ministry.code))}
    clusters = {f"cluster:{code}" for code in session.scalars(select(Cluster.code))}
    assert stored == {"all"} | ministries | clusters | {aggregates.OPEN_DATA_SIGNALS}
    boards = {
        key: aggregates.read(session, dashboards.parse_scope(session, key)) for key in stored - {"open-data:signals"}
    }
    assert boards["all"].open == 2 and boards["ministry:MOSW"].open == 1 and boards["ministry:MOFOOD"].open == 1
    assert boards["cluster:SA"].open == 1 and boards["cluster:FS"].open == 1
    assert sum(boards[key].open for key in ministries) == boards["all"].open


BIG_TABLES = (
    "households",
    "citizens",
    "enrolments",
    "payments",
    "payment_confirmations",
    "etoken_wallets",
    "etoken_ledger",
    "outlets",
    "redemptions",
    "grievances",
    "grievance_events",
    "outbox",
    "citizen_questions",
    "sms_messages",
)
BIG_TABLE = re.compile(r"\b(" + "|".join(BIG_TABLES) + r")\b")


@contextmanager
def statements(app):
    """Every SQL statement the app's engine runs meanwhile."""
    seen: list[str] = []
    engine = database(app).engine

    def note(_connection, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("role", ["officer", "coordinator", "monitoring"])
def test_a_page_view_reads_none_of_the_registrys_big_tables(app, session, staff_client, routed_case, role):
    routed_case()
    person = make_citizen(session, age=70)
    make_enrolment(session, person, "OAA")
    make_payment(session, person, "OAA", channel=PaymentChannel.BKASH, status=PaymentStatus.FAILED)
    client = staff_client(make_staff(session, role))
    session.commit()
    aggregates.refresh(session)
    client.get("/staff/dashboard")  # reference data (names, scopes) cached as any warm process has it
    with statements(app) as seen:
        response = client.get("/staff/dashboard")
    assert response.status_code == 200 and 'id="open-count">1<' in response.get_data(as_text=True)
    assert seen, "the listener saw nothing: it is not on the engine the page uses"
    assert [s for s in seen if BIG_TABLE.search(s)] == []
    assert any("dashboard_figures" in s for s in seen)


def test_a_database_never_refreshed_is_refreshed_by_its_first_view(session, staff_client, routed_case, officer):
    routed_case()
    assert session.scalar(select(func.count()).select_from(DashboardFigures)) == 0
    page = staff_client(officer).get("/staff/dashboard").get_data(as_text=True)
    assert 'id="open-count">1<' in page
    assert session.scalar(select(func.count()).select_from(DashboardFigures)) > 1


def _age_figures(session, minutes):
    session.execute(DashboardFigures.__table__.update().values(as_of=utcnow() - dt.timedelta(minutes=minutes)))
    session.commit()


def test_without_a_scheduler_a_view_refreshes_figures_older_than_the_refresh_interval(
    session, staff_client, routed_case, officer, monkeypatch
):
    monkeypatch.setattr(aggregates, "jobs_run_inline", lambda: True)  # embedded mode: `make run`
    client = staff_client(officer)
    aggregates.refresh(session)
    routed_case()
    _age_figures(session, 4)  # younger than REFRESH_SECONDS: shown as stored
    assert 'id="open-count">0<' in client.get("/staff/dashboard").get_data(as_text=True)
    _age_figures(session, 6)
    assert 'id="open-count">1<' in client.get("/staff/dashboard").get_data(as_text=True)


def test_with_a_scheduler_a_view_shows_the_stored_figures_however_old(
    session, staff_client, routed_case, officer, monkeypatch
):
    monkeypatch.setattr(aggregates, "jobs_run_inline", lambda: False)  # workers and a scheduler run
    client = staff_client(officer)
    aggregates.refresh(session)
    routed_case()
    _age_figures(session, 60)
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'id="open-count">0<' in page  # the scheduler's next run brings the new complaint
    stored = session.scalar(select(DashboardFigures.as_of).where(DashboardFigures.scope == "ministry:MOSW"))
    assert as_utc(stored) < utcnow() - dt.timedelta(minutes=59)


def test_the_refresh_job_is_scheduled_and_stores_the_latest_figures(app, session, routed_case):
    from rq.utils import import_attribute

    from sahayata.scheduler import PERIODIC_JOBS

    [(name, seconds)] = [job for job in PERIODIC_JOBS if job[0].startswith("staff.aggregates")]
    assert import_attribute(name) is aggregates.refresh_job and seconds == aggregates.REFRESH_SECONDS
    aggregates.refresh_job()
    assert aggregates.read(session, MOSW).open == 0
    routed_case()
    before = utcnow()
    as_of = dt.datetime.fromisoformat(aggregates.refresh_job())
    session.expire_all()
    board = aggregates.read(session, MOSW)
    assert board.open == 1 and before <= board.as_of == as_of <= utcnow()


def _as_of(session, part):
    session.expire_all()
    return as_utc(
        session.scalar(
            select(DashboardFigures.as_of).where(DashboardFigures.scope == "all", DashboardFigures.part == part)
        )
    )


def test_an_import_recounts_the_registry_part_once_it_commits(app, session, write_csv):
    from rq import Queue

    from foundation.jobs import jobs_run_inline
    from registry.imports.runner import run_import
    from tests.factories import payment_row

    person = make_citizen(session, age=70)
    make_enrolment(session, person, "OAA")
    session.commit()
    aggregates.refresh(session, now=utcnow() - dt.timedelta(minutes=30))
    activity_before = _as_of(session, dashboards.ACTIVITY)
    path = write_csv("payments", [payment_row(person, status="failed", failure_reason="account closed")])
    run_import(session, "payments", path)
    if not jobs_run_inline(app):  # workers run jobs: the import queued one, and a second import no other
        queue = Queue("default", connection=redis_connection(app))
        run_import(session, "payments", path)
        [job] = [job for job in queue.jobs if job.func_name == "staff.aggregates.refresh_registry_job"]
        job.perform()
        queue.empty()
    assert _as_of(session, dashboards.REGISTRY) > utcnow() - dt.timedelta(minutes=1)
    assert _as_of(session, dashboards.ACTIVITY) == activity_before  # complaints wait for the scheduler
    assert aggregates.read(session, dashboards.Scope("all")).payment_failures == [("bkash", 1, 1)]


def test_the_scheduler_recounts_the_registry_part_when_no_import_has_for_an_hour(session):
    aggregates.refresh(session)
    recent = _as_of(session, dashboards.REGISTRY)
    aggregates.refresh_job()
    assert _as_of(session, dashboards.REGISTRY) == recent  # an import's job keeps it current
    old = utcnow() - dt.timedelta(seconds=aggregates.REGISTRY_SECONDS + 60)
    session.execute(
        DashboardFigures.__table__.update().where(DashboardFigures.part == dashboards.REGISTRY).values(as_of=old)
    )
    session.commit()
    aggregates.refresh_job()
    assert _as_of(session, dashboards.REGISTRY) > utcnow() - dt.timedelta(minutes=1)


def test_refreshing_twice_keeps_one_row_per_scope(session, routed_case):
    routed_case()
    aggregates.refresh(session)
    count = session.scalar(select(func.count()).select_from(DashboardFigures))
    aggregates.refresh(session)
    assert session.scalar(select(func.count()).select_from(DashboardFigures)) == count


# -- how fresh ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "locale", "label"),
    [
        (dt.datetime(2026, 12, 1, 4, 42, tzinfo=dt.UTC), "en", "As of 10:42"),
        (dt.datetime(2026, 12, 1, 4, 42, tzinfo=dt.UTC), "bn", "হালনাগাদ: ১০:৪২"),
        (dt.datetime(2026, 11, 30, 17, 59, tzinfo=dt.UTC), "en", "As of 30 Nov 2026, 23:59"),  # Dhaka's yesterday
        (dt.datetime(2026, 11, 30, 18, 1, tzinfo=dt.UTC), "en", "As of 00:01"),  # already 1 December in Dhaka
    ],
)
def test_the_freshness_label_is_dhaka_time_in_the_readers_language(moment, locale, label):
    now = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)
    assert dashboard_page.as_of_label(moment, locale, now) == label


def test_every_figure_says_how_fresh_it_is(session, staff_client, routed_case, monkeypatch):
    monkeypatch.setattr(aggregates, "jobs_run_inline", lambda: False)  # the stored time stays
    routed_case()
    refresh_at = dt.datetime.combine(utcnow().date(), dt.time(4, 42), dt.UTC)  # 10:42 in Dhaka
    aggregates.refresh(session, now=refresh_at)
    client = staff_client(make_staff(session, "officer", language="bn"))
    session.commit()
    page = client.get("/staff/dashboard").get_data(as_text=True)
    sections = page.split("<h2>")[1:]
    assert len(sections) >= 10
    assert all('class="as-of">হালনাগাদ: ' in section.split("</h2>")[0] for section in sections)
    assert "১০:৪২" in page


# -- rates -------------------------------------------------------------------------------------
def test_a_rate_needs_its_denominator_to_reach_the_minimum():
    assert dashboards.rate(1, 1, 30) is None
    assert dashboards.rate(3, 29, 30) is None
    assert dashboards.rate(3, 30, 30) == 0.1
    assert dashboards.rate(0, 0, 1) is None


def test_a_district_with_one_beneficiary_shows_no_rate(session, routed_case, minimum):
    routed_case(district="Cumilla")  # its complainant is Cumilla's only beneficiary of MOSW's programmes
    person = session.scalar(text("SELECT citizen_id FROM grievances"))
    make_enrolment(session, session.get(Citizen, person), "OAA")
    session.commit()
    board = refreshed(session)
    minimum(30)
    page = dashboard_page.build(session, board, "en", dashboards.min_denominator())
    assert page.districts == [("Cumilla", "1", "1", "—")] and page.district_rates == []
    minimum(1)
    page = dashboard_page.build(session, board, "en", dashboards.min_denominator())
    assert page.districts == [("Cumilla", "1", "1", "10,000")] and page.district_rates == [("Cumilla", 10_000.0)]


def test_failure_rates_are_shown_only_over_enough_payments(session, staff_client, officer, minimum):
    for n in range(30):
        person = make_citizen(session, age=70)
        make_enrolment(session, person, "OAA")
        make_payment(
            session,
            person,
            "OAA",
            channel=PaymentChannel.NAGAD,
            status=PaymentStatus.FAILED if n < 3 else PaymentStatus.CREDITED,
        )
    person = make_citizen(session, age=70)
    make_enrolment(session, person, "OAA")
    make_payment(session, person, "OAA", channel=PaymentChannel.BKASH, status=PaymentStatus.FAILED)
    session.commit()
    minimum(30)
    aggregates.refresh(session)
    page = staff_client(officer).get("/staff/dashboard").get_data(as_text=True)
    table = page.split('id="payment-failures"')[1].split("</table>")[0]
    assert "<td>Nagad</td><td>30</td><td>3</td><td>10%</td>" in table
    assert "<td>bKash</td><td>1</td><td>1</td><td>—</td>" in table  # 1 of 1 failed: no "100%"
    assert "100%" not in page


def test_the_minimum_is_said_on_the_page_in_the_readers_digits(session, staff_client, minimum):
    minimum(45)
    client = staff_client(make_staff(session, "officer", language="bn"))
    session.commit()
    assert "অন্তত ৪৫টি" in client.get("/staff/dashboard").get_data(as_text=True)


# -- names, not ids ------------------------------------------------------------------------------
def _count_ussd(app, events):
    redis = redis_connection(app)
    for command in screen_counts.commands(events, dt.date.today()):
        redis.execute_command(*command)


@pytest.fixture
def ussd_counts(app):
    def clear():
        redis = redis_connection(app)
        for key in redis.scan_iter("ussd:analytics:*"):
            redis.delete(key)

    clear()
    yield lambda events: _count_ussd(app, events)
    clear()


def test_ussd_screens_have_human_names_and_show_their_wrong_keys(session, staff_client, ussd_counts, minimum):
    events = [("main", "dialled")] * 40 + [("main", "views")] * 40
    events += [("other_birth_date", "views")] * 30 + [("other_birth_date", "invalid")] * 7
    events += [("other_birth_date", "dropoffs")] * 6 + [("other_birth_date", "timeouts")] * 3
    ussd_counts(events)
    minimum(30)
    aggregates.refresh(session)
    client = staff_client(make_staff(session, "monitoring", language="bn"))
    session.commit()
    page = client.get("/staff/dashboard").get_data(as_text=True)
    table = page.split('id="dropoffs"')[1].split("</table>")[0]
    assert "<td>অন্যজন: জন্মতারিখ চাওয়া</td><td>৩০</td><td>৭</td><td>৯</td><td>৩০%</td>" in table
    assert "other_birth_date" not in page and ">main<" not in page


def test_each_journey_has_a_funnel_from_the_dial_to_its_answer(session, staff_client, ussd_counts, minimum):
    events = [("main", "dialled")] * 50
    events += [("complaint_category", "reached")] * 20 + [("complaint_programme", "reached")] * 16
    events += [("complaint_text", "reached")] * 12 + [("complaint_confirm", "reached")] * 11
    events += [("complaint_confirm", "finished")] * 10 + [("payment", "reached")] * 25
    ussd_counts(events)
    minimum(30)
    aggregates.refresh(session)
    client = staff_client(make_staff(session, "monitoring"))
    session.commit()
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'id="ussd-dialled">50<' in page
    funnels = page.split('id="ussd-funnels"')[1].split("</table>")[0]
    complaint = funnels.split("Make a complaint")[1].split("rowgroup")[0]
    steps = re.findall(r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", complaint)
    assert steps == [
        ("Complaint: what happened", "20", "40%"),
        ("Complaint: which programme", "16", "32%"),
        ("Complaint: a few words", "12", "24%"),
        ("Complaint: confirm and send", "11", "22%"),
        ("Sent", "10", "20%"),
    ]
    assert "<td>Payment details</td><td>25</td><td>50%</td>" in funnels


def test_the_title_names_the_scope_in_the_readers_language(session, staff_client):
    client = staff_client(make_staff(session, "officer", language="bn"))
    session.commit()
    name_bn = session.scalar(select(Ministry.name_bn).where(Ministry.code == "MOSW"))
    assert f'<span id="scope" data-scope="ministry:MOSW">{name_bn}</span>' in client.get("/staff/dashboard").get_data(
        as_text=True
    )


# -- pages and scopes ----------------------------------------------------------------------------
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
        ("ministry:MOSW", "ministry:MOSW"),
        ("ministry:mosw", "ministry:MOSW"),
        ("cluster:SA", "cluster:SA"),
        (" cluster:fs ", "cluster:FS"),
        ("all", "all"),
        ("", "all"),
    ],
)
def test_real_ministries_and_clusters_are_shown(monitoring_client, scope, shown):
    response = monitoring_client().get("/staff/dashboard", query_string={"scope": scope})
    assert response.status_code == 200
    assert f'<span id="scope" data-scope="{shown}">' in response.get_data(as_text=True)


def test_monitoring_may_choose_clusters_too(monitoring_client):
    page = monitoring_client().get("/staff/dashboard?scope=cluster:SA").get_data(as_text=True)
    assert '<option value="cluster:SA" selected>' in page and '<option value="ministry:MOSW" >' in page


def test_an_officer_sees_their_ministry_whatever_scope_they_ask_for(staff_client, officer):
    response = staff_client(officer).get("/staff/dashboard?scope=ministry:NOPE")
    assert response.status_code == 200 and 'data-scope="ministry:MOSW"' in response.get_data(as_text=True)


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
    assert dashboards.weighted_median(counts) == statistics.median(expanded)


def test_the_dashboard_warns_when_next_years_lunar_holidays_are_unconfirmed(
    staff_client, session, officer, monkeypatch
):
    from sqlalchemy import delete

    from foundation.cache import clear
    from grievance.calendar import year_calendar
    from grievance.holiday_changes import record_change
    from grievance.models import HolidayAction, HolidayChange

    monkeypatch.setattr(aggregates, "jobs_run_inline", lambda: False)  # figures as refreshed here
    client = staff_client(officer)

    def page_refreshed_on(moment: dt.datetime) -> str:
        clear()  # the calendar is cached as reference data
        aggregates.refresh(session, now=moment)
        return client.get("/staff/dashboard").get_data(as_text=True)

    first_of_december = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)
    page = page_refreshed_on(first_of_december)
    assert 'id="calendar-warning"' in page and "lunar holidays are not confirmed yet" in page
    # The command is typed as it is, whatever the page's language: code, in a language of its own.
    assert '<code lang="en" translate="no">flask --app wsgi grievance holidays confirm</code>' in page
    try:
        record_change(session, dt.date(2027, 3, 10), HolidayAction.CONFIRM, "clerk")
        session.commit()
        assert 'id="calendar-warning"' in page_refreshed_on(first_of_december)  # one of many
        for holiday in year_calendar(session, 2027):
            if not holiday.confirmed:
                record_change(session, holiday.day, HolidayAction.CONFIRM, "clerk")
        record_change(session, dt.date(2027, 10, 10), HolidayAction.ADD, "clerk", "Durga Puja (Bijoya Dashami)")
        session.commit()
        assert 'id="calendar-warning"' not in page_refreshed_on(first_of_december)
    finally:
        session.execute(delete(HolidayChange))
        session.commit()
    assert 'id="calendar-warning"' not in page_refreshed_on(dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC))


def _answer(session, programme, channel, received):
    from registry.models import PaymentConfirmation

    person = make_citizen(session, rescore=False)
    make_enrolment(session, person, programme)
    payment = make_payment(session, person, programme, channel=channel, status=PaymentStatus.CREDITED)
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow(), received=received))


def test_redemptions_and_confirmations_join_the_ministry_and_cluster_boards(session, no_dispatch, minimum):
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

    minimum(1)  # a handful of redemptions and answers: every rate shown
    aggregates.refresh(session)
    for scope in (dashboards.Scope("ministry", "MOFOOD"), dashboards.Scope("cluster", "FS")):
        board = aggregates.read(session, scope)
        assert board.redemptions == [("kg rice", 5, 140.0)]
        assert board.confirmations == (5, 2, 2)
        assert [row[0] for row in board.worst_outlets] == ["OUTSHADY", "OUTHONEST"]
        assert board.worst_outlets[0][3:] == (2, 1, 1, 1)  # completed, disputed, at night, from elsewhere
        assert [(c, no / (yes + no)) for c, _a, yes, no in board.worst_channels] == [("bkash", 1.0), ("nagad", 1 / 3)]

    social = aggregates.read(session, MOSW)
    assert (social.redemptions, social.confirmations, social.worst_outlets) == ([], (1, 1, 0), [])
    minimum(30)
    aggregates.refresh(session)
    outlets = aggregates.read(session, dashboards.Scope("ministry", "MOFOOD")).worst_outlets
    assert [row[0] for row in outlets] == ["OUTSHADY", "OUTHONEST"]  # no share shown: most disputes first


def test_the_dashboard_page_shows_the_new_figures(session, staff_client):
    _answer(session, "FFP", PaymentChannel.NAGAD, False)
    session.commit()
    html = (
        staff_client(make_staff(session, "officer", ministry_code="MOFOOD"))
        .get("/staff/dashboard")
        .get_data(as_text=True)
    )
    assert 'id="confirmations-denied">1<' in html and 'id="worst-channels"' in html and "Nagad" in html
    assert 'id="denial-rate">—<' in html  # one answer is no rate


@pytest.mark.parametrize("language", ["bn", "en"])
def test_an_outlet_is_named_in_the_readers_language_with_its_code_set_apart(session, staff_client, language):
    from tests.monitoring.conftest import dhaka, make_outlet, make_redemption

    outlet = make_outlet(session, code="OUT-77", name_en="Rahim Rice Store", name_bn="রহিম চাল ভান্ডার")
    make_redemption(session, outlet, dhaka(2026, 3, 2, 10))
    session.commit()
    aggregates.refresh(session)
    client = staff_client(make_staff(session, "officer", ministry_code="MOFOOD", language=language))
    session.commit()
    page = client.get("/staff/dashboard").get_data(as_text=True)
    table = page.split('id="worst-outlets"')[1].split("</table>")[0]
    name = outlet.name_bn if language == "bn" else outlet.name_en
    # The code is what the outlet commands and the Signals page know it by: shown as typed,
    # ASCII digits and all, in an element that says it is not the page's prose.
    assert f'<td>{name}<br><span class="meta" lang="en" translate="no">OUT-77</span></td>' in table
    assert (outlet.name_en if language == "bn" else outlet.name_bn) not in table
