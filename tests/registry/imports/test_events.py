"""What an import announces to the registry's listeners, and an import with nobody listening."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from notices import alerts
from notices.models import Alert
from outbound_sms.models import Message
from registry import events
from registry.imports import run_import
from registry.models import ETokenLedgerEntry, Payment
from tests.factories import make_citizen, make_enrolment, make_wallet, payment_row

TODAY = dt.date(2026, 8, 1)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def citizen(session):
    person = make_citizen(session, age=70, mobile="+8801712000002")
    make_enrolment(session, person, "OAA")
    make_enrolment(session, person, "FFP")
    make_wallet(session, person, "FFP", expires_on=dt.date(2026, 12, 31))
    session.commit()
    return person


def etoken_row(citizen, balance="30"):
    return {"nid": citizen.nid, "programme": "FFP", "balance": balance, "unit": "kg rice", "expires_on": "2026-12-31"}


@pytest.fixture
def nobody_listening(app, monkeypatch):
    """The registry used alone: no listener subscribed to its events."""
    monkeypatch.setitem(app.extensions, "registry.listeners", [])


@pytest.fixture
def listener(app, monkeypatch):
    """A listener that writes down what it hears; its handlers return ids for the commit hook."""
    heard: dict[str, list] = {"payments": [], "etokens": [], "committed": []}

    def payments_changed(session, changed, today):
        # Inside the import's transaction: the new payments are visible to its session.
        stored = session.scalar(select(func.count()).select_from(Payment))
        heard["payments"].append((list(changed), today, stored))
        return [101]

    def etokens_credited(session, credit_entry_ids):
        heard["etokens"].append(list(credit_entry_ids))
        return [202]

    listening = events.Listener(payments_changed, etokens_credited, lambda ids: heard["committed"].append(list(ids)))
    monkeypatch.setitem(app.extensions, "registry.listeners", [listening])
    return heard


def test_an_import_with_nobody_listening_imports_and_writes_no_alert(
    app, session, write_csv, citizen, nobody_listening, monkeypatch
):
    queued = []
    monkeypatch.setattr(alerts, "enqueue", lambda *args, **kwargs: queued.append(args))
    report = run_import(session, "payments", write_csv("payments", [payment_row(citizen)]), today=TODAY)
    assert report.committed and report.rows_written == 1
    report = run_import(session, "etokens", write_csv("etokens", [etoken_row(citizen)]), today=TODAY)
    assert report.committed and report.rows_written == 1
    assert count(session, Payment) == 1 and count(session, ETokenLedgerEntry) == 1
    assert count(session, Alert) == 0 and count(session, Message) == 0 and queued == []


def test_listeners_hear_what_changed_in_the_import_and_get_back_what_they_recorded_after_commit(
    app, session, write_csv, citizen, listener
):
    run_import(session, "payments", write_csv("payments", [payment_row(citizen)]), today=TODAY)
    assert listener["payments"] == [([(citizen.id, "OAA", "2026-07")], TODAY, 1)]
    assert listener["committed"] == [[101]]
    # The same file again changes no status: nothing is news, and the commit hands back nothing.
    run_import(session, "payments", write_csv("payments", [payment_row(citizen)]), today=TODAY)
    assert len(listener["payments"]) == 1 and listener["committed"] == [[101], []]

    run_import(session, "etokens", write_csv("etokens", [etoken_row(citizen)]), today=TODAY)
    [credit] = session.scalars(select(ETokenLedgerEntry.id)).all()
    assert listener["etokens"] == [[credit]] and listener["committed"][-1] == [202]


def test_a_rolled_back_import_tells_no_listener_it_committed(app, session, write_csv, citizen, listener):
    rows = [payment_row(citizen), payment_row(citizen, cycle="2026-08", status="no such status")]
    report = run_import(session, "payments", write_csv("payments", rows), today=TODAY, batch_size=1)
    assert not report.committed and count(session, Payment) == 0
    assert listener["payments"] and listener["committed"] == []


def test_a_listener_failing_after_the_commit_leaves_the_import_committed_and_the_others_heard(
    app, session, write_csv, citizen, listener, caplog
):
    def fails(ids):
        raise ConnectionError("redis is down")

    failing = events.Listener(None, None, fails)
    app.extensions["registry.listeners"].insert(0, failing)
    report = run_import(session, "payments", write_csv("payments", [payment_row(citizen)]), today=TODAY)
    assert report.committed and count(session, Payment) == 1
    assert listener["committed"] == [[101]]  # the listener after the failing one still ran
    assert "listener failed" in caplog.text
