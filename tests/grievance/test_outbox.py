"""The outbox's jobs: a handler per kind, and the queued mark kept by grievance alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from foundation.jobs import redis_connection
from grievance import outbox
from grievance.intake import file_grievance
from grievance.models import OutboxEntry
from tests.factories import make_citizen, make_filing


@pytest.fixture
def handlers(app, monkeypatch):
    """This app's registrations, restored after the test."""
    registered = outbox.registrations(app)
    monkeypatch.setitem(app.extensions, "grievance.outbox", dict(registered))
    return outbox.registrations(app)


def test_the_queued_mark_is_cleared_by_grievance_before_the_handler_runs(app_context, handlers):
    key = outbox.queued_mark_key("notify_citizen", 41)
    seen = []
    handlers["notify_citizen"] = outbox.Registration(
        lambda grievance_id: seen.append((grievance_id, redis_connection().exists(key))) or "told",
        "sms",
        rides_on_waiting_job=True,
    )
    redis_connection().set(key, 1)
    assert outbox.run_entry("notify_citizen", 41) == "told"
    assert seen == [(41, 0)]  # the handler already ran as a job of its own: later entries need another


def test_a_kind_that_rides_on_no_waiting_job_leaves_marks_alone(app_context, handlers):
    key = outbox.queued_mark_key("route_grievance", 42)
    handlers["route_grievance"] = outbox.Registration(lambda grievance_id: redis_connection().exists(key), "default")
    redis_connection().set(key, 1)
    try:
        assert outbox.run_entry("route_grievance", 42) == 1
    finally:
        redis_connection().delete(key)


def test_coalescing_sets_the_mark_once_and_rides_on_the_waiting_job(app_context, handlers, monkeypatch):
    queued = []
    monkeypatch.setattr(outbox, "enqueue_together", lambda calls, also=None: queued.extend(a for _, a, _ in calls))
    key = outbox.queued_mark_key("notify_citizen", 43)
    redis_connection().delete(key)  # a complaint 43 of an earlier test may have left one
    try:
        assert outbox.dispatch([("notify_citizen", 43)], coalesce=True) == 1
        assert redis_connection().exists(key) and queued == [("notify_citizen", 43)]
        assert outbox.dispatch([("notify_citizen", 43), ("route_grievance", 43)], coalesce=True) == 2
        assert queued == [("notify_citizen", 43), ("route_grievance", 43)]  # the second notice rode on the first
    finally:
        redis_connection().delete(key)


def test_a_job_for_a_kind_without_a_handler_fails_and_dispatch_leaves_it_pending(session, handlers, no_dispatch):
    citizen = make_citizen(session, mobile="+8801712345671")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    del handlers["notify_citizen"]
    with pytest.raises(outbox.NoHandler):
        outbox.run_entry("notify_citizen", grievance.id)
    assert outbox.dispatch([("notify_citizen", grievance.id)]) == 0
    assert outbox.sweep_outbox(older_than_seconds=0) == 1  # the routing only: no job names a kind nobody does
    pending = session.scalars(
        select(OutboxEntry.kind).where(OutboxEntry.grievance_id == grievance.id, OutboxEntry.done_at.is_(None))
    ).all()
    assert "notify_citizen" in pending
