"""GET /metrics: who may read it, and that what the service does shows in it."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from foundation.jobs import get_queue
from grievance.intake import file_grievance
from grievance.jobs import escalate_breached, route_grievance
from grievance.models import OutboxEntry, as_utc
from outbound_sms import sending
from registry.imports import run_import
from sahayata.app import create_app
from tests.factories import make_citizen, make_filing, make_old_age_beneficiary
from tests.foundation.test_metrics import samples
from tests.registry.conftest import citizen_row
from tests.ussd_app.conftest import Phone

TODAY = dt.date(2026, 11, 1)
AT = "africastalking"


def scrape(client, **request) -> dict:
    response = client.get("/metrics", **request)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def value(read: dict, name: str, **labels: str) -> float:
    return read.get((name, tuple(sorted(labels.items()))), 0.0)


# -- who may read ------------------------------------------------------------------------------
def test_development_serves_the_loopback_only(client):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 404


def test_a_production_start_with_nothing_set_serves_nobody(production_client):
    assert production_client.get("/metrics").status_code == 404
    assert production_client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 404


def test_production_serves_the_listed_addresses(make_production_app):
    client = make_production_app(SAHAYATA_METRICS_ALLOW="10.0.0.0/8").test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # not even the loopback unless listed


def test_behind_our_proxy_the_scrapers_own_address_counts(make_production_app):
    client = make_production_app(SAHAYATA_PROXY_HOPS="1", SAHAYATA_METRICS_ALLOW="10.0.0.5").test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", environ_base=proxy, headers={"X-Forwarded-For": "10.0.0.5"}).status_code == 200
    # Anyone can write a first entry; our one proxy appended the address it saw.
    forged = {"X-Forwarded-For": "10.0.0.5, 192.0.2.9"}
    assert client.get("/metrics", environ_base=proxy, headers=forged).status_code == 404
    assert client.get("/metrics", environ_base=proxy).status_code == 404  # the proxy itself is not listed


def test_switched_off_nothing_is_counted_and_nothing_served(client, database_url, redis_url):
    off = create_app(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True},
        env={"SAHAYATA_ENV": "development", "SAHAYATA_METRICS": "0"},
    ).test_client()
    before = scrape(client)
    Phone(off, "+8801999000222").dial()
    assert off.get("/metrics").status_code == 404
    after = scrape(client)
    assert value(after, "sahayata_ussd_hops_total", gateway=AT, screen="main") == value(
        before, "sahayata_ussd_hops_total", gateway=AT, screen="main"
    )
    assert value(after, "sahayata_ussd_hop_seconds_count", gateway=AT) == value(
        before, "sahayata_ussd_hop_seconds_count", gateway=AT
    )


# -- what shows --------------------------------------------------------------------------------
def test_hops_are_counted_by_gateway_and_screen_and_timed(client, session):
    phone = Phone(client, make_old_age_beneficiary(session, "+8801712000001").mobile)
    before = scrape(client)
    phone.dial()
    phone.press("2")  # My payments
    phone.repeat()  # the gateway retried: the same screen again, counted as a hop answered
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("sahayata_ussd_hops_total", gateway=AT, screen="main") == 1
    assert grew("sahayata_ussd_hops_total", gateway=AT, screen="payment") == 2
    assert grew("sahayata_ussd_hop_seconds_count", gateway=AT) == 3
    assert grew("sahayata_ussd_hop_seconds_bucket", gateway=AT, le="+Inf") == 3
    labels = {dict(labels).get("screen") for name, labels in after if name == "sahayata_ussd_hops_total"}
    assert not any(label and any(ch.isdigit() for ch in label) for label in labels)  # screens, never numbers


def test_sessions_ended_are_counted_by_reason(client, session):
    phone = Phone(client, make_old_age_beneficiary(session, "+8801712000001").mobile)
    before = scrape(client)
    phone.dial()
    for key in ("9", "9", "9"):
        phone.press(key)  # the third wrong key ends the session
    phone.dial()
    client.post("/ussd/africastalking", data={"sessionId": phone.session_id, "status": "Failed"})
    phone.dial()
    client.post("/ussd/africastalking", data={"sessionId": phone.session_id, "status": "Timeout"})
    after = scrape(client)
    for reason, count in (("wrong_keys", 1), ("dropped", 1), ("timeout", 1), ("answered", 0)):
        labels = {"gateway": AT, "reason": reason}
        assert (
            value(after, "sahayata_ussd_sessions_ended_total", **labels)
            - value(before, "sahayata_ussd_sessions_ended_total", **labels)
            == count
        ), reason


def test_sms_sent_are_counted_by_provider_and_outcome(app, client, session):
    message_id = sending.create_message(
        session, phone="+8801712345678", text="test", locale="en", template=None, dedupe_key="metrics:test"
    )
    session.commit()
    before = scrape(client)
    assert sending.send_batch([message_id]) == {message_id: "sent"}
    after = scrape(client)
    labels = {"provider": "console", "outcome": "sent"}
    assert value(after, "sahayata_sms_sends_total", **labels) - value(before, "sahayata_sms_sends_total", **labels) == 1


def test_sla_breaches_are_counted_by_tier(client, session, no_dispatch):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    before = scrape(client)
    assert escalate_breached((as_utc(grievance.due_at) + dt.timedelta(hours=1)).isoformat()) == 1
    after = scrape(client)
    grew = value(after, "sahayata_grievance_sla_breaches_total", tier="1") - value(
        before, "sahayata_grievance_sla_breaches_total", tier="1"
    )
    assert grew == 1


def test_import_rows_and_rejects_are_counted_by_kind(client, session, write_csv):
    good = [citizen_row(nid=f"{2_000_000_000 + i}", household_id=f"M{i}") for i in range(3)]
    bad = citizen_row(nid="not-a-nid", household_id="M9")
    before = scrape(client)
    refused = run_import(session, "citizens", write_csv("citizens", [*good, bad], name="refused.csv"), today=TODAY)
    written = run_import(session, "citizens", write_csv("citizens", good, name="good.csv"), today=TODAY)
    assert not refused.committed and written.committed
    after = scrape(client)

    def grew(outcome: str) -> float:
        labels = {"kind": "citizens", "outcome": outcome}
        return value(after, "sahayata_import_rows_total", **labels) - value(
            before, "sahayata_import_rows_total", **labels
        )

    assert (grew("written"), grew("rejected"), grew("discarded")) == (3, 1, 3)


def test_the_grievance_outbox_backlog_is_read_when_scraped(client, session, no_dispatch):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    file_grievance(session, make_filing(citizen_id=citizen.id))
    pending = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None)))
    read = scrape(client)
    assert pending >= 1
    assert value(read, "sahayata_backlog_pending", backlog="grievance_outbox") == pending
    assert 0 <= value(read, "sahayata_backlog_oldest_age_seconds", backlog="grievance_outbox") < 600
    assert value(read, "sahayata_backlog_pending", backlog="sms_alerts") == 0
    assert all(value(read, "sahayata_metrics_source_up", source=s) == 1 for s in ("rq", "grievance_outbox"))


def _waits() -> None:
    return None


def test_queue_depths_are_read_from_redis_when_scraped(app, client, real_redis):
    with app.app_context():
        get_queue("default").enqueue(_waits)
        get_queue("default").enqueue(_waits)
    read = scrape(client)
    assert value(read, "sahayata_queue_jobs", queue="default") == 2
    assert value(read, "sahayata_queue_jobs", queue="sms") == 0
    assert 0 <= value(read, "sahayata_queue_oldest_job_age_seconds", queue="default") < 60


@pytest.mark.parametrize("path", ["/metrics", "/healthz"])
def test_machine_answers_are_not_compressed(client, path):
    assert "Content-Encoding" not in client.get(path, headers={"Accept-Encoding": "gzip"}).headers
