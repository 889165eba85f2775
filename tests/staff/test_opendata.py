"""Open data: counts of finished months, frozen once published, small ones suppressed, no totals."""

import csv
import datetime as dt
import io
import threading

import pytest
from sqlalchemy import delete, func, select

from foundation import cache
from foundation.db import database, db_session
from grievance.models import Category, Grievance, Status
from grievance.status import change_status
from staff.opendata.models import OpenDataCell, OpenDataMonth
from staff.opendata.publish import Month, MonthNotFinished, last_finished_month, publish_month

COLUMNS = ["month", "programme", "ministry", "district", "category", "status", "complaints"]
# A month long finished whatever day the suite runs: 1 June 2025 00:00 in Dhaka is 31 May 18:00 UTC.
JUNE = Month(2025, 6)
IN_JUNE = dt.datetime(2025, 6, 15, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def nothing_published(app):
    """Published months outlive the registry tables the suite empties: empty them here."""

    def empty() -> None:
        with database(app).engine.begin() as connection:
            connection.execute(delete(OpenDataCell))
            connection.execute(delete(OpenDataMonth))

    empty()
    yield
    empty()


@pytest.fixture
def filed(session, routed_case):
    """filed(moment, **filing): a routed complaint whose filing time is ``moment`` (UTC)."""

    def make(moment=IN_JUNE, **changes):
        grievance = routed_case(**changes)
        grievance.created_at = moment
        session.commit()
        return grievance

    return make


def download(client) -> tuple[str, list[dict[str, str]]]:
    # Each download as if in a fresh process, or ten minutes later: no cached file helps.
    with client.application.app_context():
        cache.clear()
    response = client.get("/open-data/grievances.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return body, list(csv.DictReader(io.StringIO(body)))


def phone(n: int) -> str:
    return f"+8801710{n:06d}"


def test_counts_under_five_are_suppressed_and_nothing_personal_is_published(production_client, filed):
    for n in range(5):
        filed(category=Category.AMOUNT_SHORT, phone=phone(n))
    for n in range(2):
        filed(category=Category.WRONG_DATA, phone=phone(100 + n))
    body, rows = download(production_client)
    assert list(rows[0]) == COLUMNS
    by_category = {row["category"]: row for row in rows}
    assert by_category["amount_short"]["complaints"] == "5"
    assert by_category["wrong_data"]["complaints"] == "<5"
    assert by_category["amount_short"]["month"] == "2025-06"
    assert by_category["amount_short"]["district"] == "Cumilla" and by_category["amount_short"]["ministry"] == "MOSW"
    assert "+880" not in body and "1710000000" not in body and "012345678" not in body


def test_the_current_month_is_not_published(production_client, session, routed_case):
    routed_case()  # filed now
    _body, rows = download(production_client)
    assert rows == []
    with pytest.raises(MonthNotFinished):
        publish_month(session, Month.of(dt.datetime.now(dt.UTC)))
    assert session.scalar(select(func.count()).select_from(OpenDataMonth)) == 0


def test_months_follow_the_dhaka_calendar(client, filed):
    filed(dt.datetime(2025, 6, 30, 17, 59, tzinfo=dt.UTC), category=Category.AMOUNT_SHORT)  # 23:59 in Dhaka
    filed(dt.datetime(2025, 6, 30, 18, 0, tzinfo=dt.UTC), category=Category.WRONG_DATA)  # 1 July, 00:00 in Dhaka
    _body, rows = download(client)
    assert {(row["month"], row["category"]) for row in rows} == {("2025-06", "amount_short"), ("2025-07", "wrong_data")}


def test_a_month_is_published_once_it_has_ended_in_dhaka(session, filed):
    filed(dt.datetime(2025, 7, 10, tzinfo=dt.UTC))
    july = Month(2025, 7)
    last_minute = dt.datetime(2025, 7, 31, 17, 59, tzinfo=dt.UTC)  # 23:59 on 31 July in Dhaka
    assert last_finished_month(last_minute) == JUNE
    with pytest.raises(MonthNotFinished):
        publish_month(session, july, now=last_minute)
    assert publish_month(session, july, now=last_minute + dt.timedelta(minutes=1)) is True


def test_two_downloads_either_side_of_a_status_change_are_the_same(client, session, filed):
    """The attack from the issue: five complaints in one cell, then one of them resolved.
    Recounting live data moved the cell from 5 to "<5" and opened a "<5" cell beside it,
    so the two downloads together said exactly 1 was resolved."""
    cases = [filed(category=Category.AMOUNT_SHORT, phone=phone(n)) for n in range(5)]
    before, rows = download(client)
    assert [(row["status"], row["complaints"]) for row in rows] == [("routed", "5")]

    change_status(session, cases[0], Status.RESOLVED, "officer", "paid")
    filed(category=Category.AMOUNT_SHORT, phone=phone(9))  # and one entered late, dated in June
    session.commit()
    after, _rows = download(client)
    assert after == before


def test_no_suppressed_count_can_be_derived_from_what_is_published(client, filed):
    """The totals attack: with a month total (or a row or column total) published, the total
    minus the published cells gives the suppressed one. Here two months differ only in a
    suppressed cell, 1 complaint in June and 4 in July; everything published about the two
    is the same, so nothing published can tell 1 from 4."""
    july = dt.datetime(2025, 7, 15, 6, 0, tzinfo=dt.UTC)
    for moment, hidden in ((IN_JUNE, 1), (july, 4)):
        for n in range(6):
            filed(moment, category=Category.AMOUNT_SHORT, phone=phone(n))
        for n in range(hidden):
            filed(moment, category=Category.WRONG_DATA, phone=phone(100 + n))
    _body, rows = download(client)

    def without_month(month: str) -> list[tuple[str, ...]]:
        return [tuple(row[c] for c in COLUMNS[1:]) for row in rows if row["month"] == month]

    assert without_month("2025-06") == without_month("2025-07")
    assert ("", "", "", "wrong_data", "routed", "<5") not in without_month("2025-06")  # no blank "total" rows
    keys = [tuple(row[c] for c in COLUMNS[:-1]) for row in rows]
    assert len(keys) == len(set(keys)) and all(row["category"] and row["status"] for row in rows)
    assert {row["complaints"] for row in rows} == {"6", "<5"}
    [dataset] = [d for d in client.get("/open-data/").get_json()["datasets"] if d["id"] == "grievances"]
    # the catalogue carries no counts at all
    assert all(set(entry) == {"month", "published_at"} for entry in dataset["months"])


def test_publishing_twice_changes_nothing(session, filed, cli):
    for n in range(5):
        filed(phone=phone(n))
    result = cli.invoke(args=["opendata", "publish", "--month", "2025-06"])
    assert result.exit_code == 0 and "published 2025-06" in result.output, result.output
    stored = session.execute(select(OpenDataCell.status, OpenDataCell.complaints)).all()
    filed(phone=phone(7))
    again = cli.invoke(args=["opendata", "publish", "--month", "2025-06"])
    assert again.exit_code == 0 and "published already" in again.output
    assert session.execute(select(OpenDataCell.status, OpenDataCell.complaints)).all() == stored == [("routed", 5)]


@pytest.mark.parametrize("month", ["2025-13", "2025-6", "June", "২০২৫-০৬", "2025-0٦", "9999-01"])
def test_the_publish_command_refuses_a_bad_or_unfinished_month(cli, month):
    result = cli.invoke(args=["opendata", "publish", "--month", month])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "month" in result.output or "not ended" in result.output


def test_the_publish_command_publishes_every_finished_month(session, filed, cli):
    filed()
    filed(dt.datetime(2025, 8, 1, tzinfo=dt.UTC))
    result = cli.invoke(args=["opendata", "publish"])
    assert result.exit_code == 0 and "2025-06, 2025-07, 2025-08" in result.output, result.output
    assert session.get(OpenDataMonth, "2025-07") is not None  # a month without complaints, frozen empty too
    assert "nothing to publish" in cli.invoke(args=["opendata", "publish"]).output


def test_two_processes_publishing_one_month_at_once_store_it_once(app, session, filed):
    for n in range(5):
        filed(phone=phone(n))
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def publish() -> None:
        with app.app_context():
            start.wait()
            try:
                outcomes.append(publish_month(db_session(), JUNE))
            except Exception as error:  # reported by the assertion below
                outcomes.append(error)

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == [False, True]
    session.expire_all()
    assert session.execute(select(OpenDataCell.month, OpenDataCell.complaints)).all() == [("2025-06", 5)]


def test_the_dictionary_and_licence_are_published_beside_the_data(production_client, filed):
    filed()
    catalogue = production_client.get("/open-data/")
    assert catalogue.status_code == 200
    grievances, signals = catalogue.get_json()["datasets"]
    dataset = grievances
    assert dataset["months"][0]["month"] == "2025-06"
    assert catalogue.get_json()["licence"]["id"] == "CC-BY-4.0"

    data = production_client.get(dataset["data"])
    links = data.headers["Link"]
    assert (
        f'<{dataset["dictionary"]}>; rel="describedby"' in links
        and '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in links
    )
    assert "/open-data/LICENSE" in links
    signal_links = production_client.get(signals["data"]).headers["Link"]
    assert f'<{signals["dictionary"]}>; rel="describedby"' in signal_links and "/open-data/LICENSE" in signal_links

    dictionary = production_client.get(dataset["dictionary"])
    assert dictionary.status_code == 200 and dictionary.mimetype == "text/markdown"
    text = dictionary.get_data(as_text=True)
    for column in COLUMNS:
        assert f"`{column}`" in text
    for value in [*Category, *Status]:
        assert f"`{value.value}`" in text, value
    assert "Asia/Dhaka" in text and "`<5`" in text and "no totals" in text

    licence = production_client.get("/open-data/LICENSE")
    assert licence.status_code == 200 and "CC BY 4.0" in licence.get_data(as_text=True)


def test_a_download_publishes_only_what_an_earlier_one_did_not(client, session, filed):
    filed()
    download(client)
    first = session.scalar(select(OpenDataMonth.published_at).where(OpenDataMonth.month == "2025-06"))
    download(client)
    session.expire_all()
    assert session.scalar(select(OpenDataMonth.published_at).where(OpenDataMonth.month == "2025-06")) == first
    assert session.scalar(select(func.count()).select_from(Grievance)) == 1


def test_the_scheduler_job_publishes_finished_months_once(session, filed):
    from staff.opendata.jobs import publish_finished_months_job

    filed()
    assert publish_finished_months_job()[0] == "2025-06"
    assert publish_finished_months_job() == []


def test_signals_per_district_suppress_small_counts_in_csv_and_json(session, client, no_dispatch):
    from decimal import Decimal

    from grievance.intake import file_grievance
    from registry.models import PaymentConfirmation, PaymentStatus
    from tests.factories import make_citizen, make_enrolment, make_filing, make_payment
    from tests.monitoring.conftest import dhaka, make_outlet, make_redemption

    outlet = make_outlet(session, district="Cumilla")
    done = [make_redemption(session, outlet, dhaka(2026, 3, 2, 9, n), quantity=Decimal(5)) for n in range(6)]
    for received in (True,) * 5 + (False,) * 2:
        person = make_citizen(session, rescore=False, district="Cumilla")
        make_enrolment(session, person, "OAA")
        payment = make_payment(session, person, "OAA", status=PaymentStatus.CREDITED)
        session.add(PaymentConfirmation(payment_id=payment.id, asked_at=dhaka(2026, 3, 1, 9), received=received))
    session.commit()
    file_grievance(session, make_filing(redemption_id=done[0].id, programme_code="FFP"))

    rows = list(csv.reader(io.StringIO(client.get("/open-data/signals.csv").get_data(as_text=True))))
    assert rows[0] == ["district", "redemptions", "disputed", "confirmed", "denied"]
    assert ["Cumilla", "6", "<5", "5", "<5"] in rows[1:]
    assert all(row[0] != "" and "total" not in row[0].lower() for row in rows[1:])
    body = client.get("/open-data/signals.json").get_json()
    assert {"district": "Cumilla", "redemptions": "6", "disputed": "<5", "confirmed": "5", "denied": "<5"} in body[
        "districts"
    ]
    assert any(d["id"] == "signals" for d in client.get("/open-data/").get_json()["datasets"])
    assert "Suppression" in client.get("/open-data/signals.dictionary.md").get_data(as_text=True)


def test_signals_are_read_from_the_stored_recount_not_from_the_registry(app, session, client, monkeypatch):
    from sqlalchemy import event

    from foundation.clock import utcnow
    from registry.models import PaymentConfirmation, PaymentStatus
    from staff import aggregates
    from tests.factories import make_citizen, make_enrolment, make_payment

    def answered(received):
        person = make_citizen(session, rescore=False, district="Cumilla")
        make_enrolment(session, person, "OAA")
        payment = make_payment(session, person, "OAA", status=PaymentStatus.CREDITED)
        session.add(PaymentConfirmation(payment_id=payment.id, asked_at=utcnow(), received=received))
        session.commit()

    monkeypatch.setattr(aggregates, "jobs_run_inline", lambda: False)  # the scheduler recounts
    for _ in range(5):
        answered(True)
    aggregates.refresh(session)
    answered(True)  # after the recount: in the next one
    seen = []
    engine = database(app).engine
    listen = lambda _c, _cur, statement, *_a: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        body = client.get("/open-data/signals.json").get_json()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert {"district": "Cumilla", "redemptions": "<5", "disputed": "<5", "confirmed": "5", "denied": "<5"} in body[
        "districts"
    ]
    assert dt.datetime.fromisoformat(body["as_of"]) <= utcnow()
    assert not [s for s in seen if "payment_confirmations" in s or "redemptions" in s or "citizens" in s]
    aggregates.refresh_job()
    assert ["Cumilla", "<5", "<5", "6", "<5"] in list(
        csv.reader(io.StringIO(client.get("/open-data/signals.csv").get_data(as_text=True)))
    )


def test_the_demo_publishes_counts_not_all_suppressed(client, session):
    """`make run`'s demo (2,000 citizens): each finished month of its complaints has cells that
    open data shows as numbers, under the same suppression rule as real data."""
    from sahayata.demo import HISTORY_MONTHS, load_demo
    from staff.opendata.publish import SUPPRESS_BELOW, SUPPRESSED

    load_demo(session, 2000, seed=1)
    _body, rows = download(client)
    months = {row["month"] for row in rows}
    shown = [row for row in rows if row["complaints"] != SUPPRESSED]
    assert len(months) == HISTORY_MONTHS and {row["month"] for row in shown} == months
    assert all(int(row["complaints"]) >= SUPPRESS_BELOW for row in shown)
    assert any(row["complaints"] == SUPPRESSED for row in rows)  # the rule still holds back small cells
