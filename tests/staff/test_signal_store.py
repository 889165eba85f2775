"""The Signals page's stored items: what a refresh writes is each signal's masked rows, a page
view reads one page of them and runs no signal, and the items are refreshed when they
should be, in embedded mode and with a queue."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.clock import utcnow
from foundation.db import db_session
from monitoring.signals import SIGNALS, Settings, rows
from registry.models import OutletProgramme
from staff import signal_store, signals
from staff.signal_store import SignalItem, SignalRun
from tests.factories import make_citizen, make_enrolment, make_staff
from tests.monitoring.conftest import make_outlet, make_redemption
from tests.staff.test_dashboards import BIG_TABLE, statements

NOW = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)


@pytest.fixture
def demo(session, no_dispatch):
    """The demo registry: every signal with items, of every kind of value."""
    from sahayata.demo import load_demo

    load_demo(session, 400, seed=4)
    session.commit()


def _all_stored(session, name):
    run = signal_store.runs(session)[name]
    return signal_store.page_of(session, name, run, None, 0, 10**7)


def test_the_stored_items_are_each_signals_masked_rows_in_order_with_their_values_kinds(session, demo):
    signal_store.refresh(session, now=NOW)
    kinds = set()
    for name in SIGNALS:
        _, stream = rows(session, name, Settings(as_of=NOW.date()))
        expected = list(stream)
        stored = _all_stored(session, name)
        assert [dict(item.values) for item in stored] == expected, name
        assert [item.key for item in stored] == [signal_store.item_key(values) for values in expected]
        assert signal_store.runs(session)[name].count == len(expected)
        kinds |= {type(value) for item in stored for value in item.values.values()}
    assert all(stored for stored in (_all_stored(session, name) for name in SIGNALS)), "a signal the demo leaves empty"
    assert {Decimal, float, int, str, dt.date} <= kinds


def test_an_item_is_found_by_its_key_and_belongs_to_its_programmes(session, demo):
    signal_store.refresh(session, now=NOW)
    admin = signals.View(session, make_staff(session, "admin"))
    for name in SIGNALS:
        for item in admin.section(name).items[:3]:
            assert admin.find(name, item.key) == item
    [pair] = admin.section("exclusive_programmes").items[:1]
    assert set(pair.programmes) == {pair.values["programme_a"], pair.values["programme_b"]}


def test_a_coordinator_s_count_and_pages_hold_their_cluster_s_items_only(session, demo):
    signal_store.refresh(session, now=NOW)
    cluster = make_staff(session, "coordinator", cluster_code="SA")
    mine = signals.View(session, cluster)
    everything = _all_stored(session, "targeting_people")
    expected = [item for item in everything if mine.programmes.intersection(item.programmes)]
    assert 0 < len(expected) < len(everything)
    section = mine.section("targeting_people")
    assert section.count == len(expected) and section.pages == -(-len(expected) // signals.PAGE_SIZE)
    shown = [item for page in range(1, section.pages + 1) for item in mine.section("targeting_people", page).items]
    assert shown == expected


def test_a_page_view_runs_no_signal_and_reads_one_page(app, session, staff_client, demo):
    signal_store.refresh(session)
    client = staff_client(make_staff(session, "monitoring"))
    client.get("/staff/signals")  # reference data (names, routing rules) cached as a warm process has it
    with statements(app) as seen:
        response = client.get("/staff/signals?signal=targeting_people&page=2")
    assert response.status_code == 200 and 'id="signals-as-of"' in response.get_data(as_text=True)
    assert seen and [s for s in seen if BIG_TABLE.search(s)] == []
    pages = [s for s in seen if "FROM signal_items" in s]
    assert len(pages) == len(SIGNALS) and all("LIMIT" in s for s in pages)


def _plant_outlet(session, code):
    outlet = make_outlet(session, code=code)
    session.add(OutletProgramme(outlet_id=outlet.id, programme_code="FFP"))
    make_redemption(session, outlet, dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC), citizen=make_citizen(session))
    session.commit()


def _outlet_codes(session):
    view = signals.View(session, make_staff(session, "monitoring"))
    return {item.values["outlet"] for item in view.section("outlets").items}


def test_embedded_a_view_refreshes_items_older_than_the_interval_or_marked_stale_by_an_import(session, monkeypatch):
    monkeypatch.setattr(signal_store, "jobs_run_inline", lambda: True)  # `make run`: no queue
    _plant_outlet(session, "OUTOLD01")
    assert _outlet_codes(session) == {"OUTOLD01"}  # never refreshed: the first view does it
    _plant_outlet(session, "OUTNEW01")
    assert _outlet_codes(session) == {"OUTOLD01"}  # younger than the interval: as stored
    signal_store.registry_changed()  # what an import's commit does
    assert _outlet_codes(session) == {"OUTOLD01", "OUTNEW01"}
    _plant_outlet(session, "OUTNEW02")
    aged = utcnow() - dt.timedelta(seconds=signal_store.REFRESH_SECONDS + 60)
    session.execute(SignalRun.__table__.update().values(as_of=aged))
    session.commit()
    assert _outlet_codes(session) == {"OUTOLD01", "OUTNEW01", "OUTNEW02"}


def test_with_a_queue_the_first_view_asks_for_one_refresh_and_says_so(
    app, session, staff_client, real_redis, monkeypatch
):
    from rq import Queue

    monkeypatch.setattr(signal_store, "jobs_run_inline", lambda: False)  # workers and a scheduler run
    _plant_outlet(session, "OUTFIRST")
    client = staff_client(make_staff(session, "monitoring", language="bn"))
    for _ in range(2):
        page = client.get("/staff/signals").get_data(as_text=True)
        assert 'id="signals-pending"' in page and "signal-outlets" not in page
        assert "প্রথমবার হিসাব করা হচ্ছে" in page
    queue = Queue("default", connection=real_redis)
    [job] = [job for job in queue.jobs if job.func_name == "staff.signal_store.refresh_job"]
    job.perform()
    queue.empty()
    page = client.get("/staff/signals").get_data(as_text=True)
    assert 'id="signals-as-of"' in page and "OUTFIRST" in page
    assert not real_redis.exists(signal_store.QUEUED_KEY)


def test_with_a_queue_an_import_s_commit_queues_one_refresh(app, session, real_redis, write_csv, monkeypatch):
    from rq import Queue

    from registry.imports.runner import run_import
    from tests.factories import payment_row

    person = make_citizen(session, age=70)
    make_enrolment(session, person, "OAA")
    session.commit()
    path = write_csv("payments", [payment_row(person)])
    run_import(session, "payments", path)
    run_import(session, "payments", path)
    queue = Queue("default", connection=real_redis)
    assert [job.func_name for job in queue.jobs].count("staff.signal_store.refresh_job") == 1
    queue.empty()


def test_the_refresh_job_is_scheduled_at_the_interval_and_stores_every_signal(session):
    from rq.utils import import_attribute

    from sahayata.scheduler import PERIODIC_JOBS

    [(name, seconds)] = [job for job in PERIODIC_JOBS if job[0].startswith("staff.signal_store")]
    assert import_attribute(name) is signal_store.refresh_job and seconds == signal_store.REFRESH_SECONDS
    _plant_outlet(session, "OUTJOB01")
    signal_store.refresh_job()
    session.expire_all()
    assert set(session.scalars(select(SignalRun.signal))) == set(SIGNALS)
    assert session.scalar(select(func.count()).select_from(SignalItem).where(SignalItem.signal == "outlets")) == 1


def test_a_refresh_in_batches_keeps_every_item_once(session, monkeypatch):
    monkeypatch.setattr(signal_store, "BATCH", 2)
    for n in range(5):
        _plant_outlet(session, f"OUTBAT{n:02d}")
    signal_store.refresh(session)
    assert [item.values["outlet"] for item in _all_stored(session, "outlets")] == [f"OUTBAT{n:02d}" for n in range(5)]


def test_two_refreshes_at_once_leave_one_whole_run(app, session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite runs one writer at a time anyway (CI's PostgreSQL pass runs this)")
    for n in range(3):
        _plant_outlet(session, f"OUTRACE{n}")
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def refresh() -> None:
        with app.app_context():
            try:
                start.wait()
                signal_store.refresh(db_session())
            except BaseException as error:  # reported by the assertion below
                failures.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    session.expire_all()
    assert signal_store.runs(session)["outlets"].count == 3
    assert len(_all_stored(session, "outlets")) == 3
