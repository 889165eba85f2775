"""Routing, sweeping and escalation jobs, called directly (the worker tests run them in RQ)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from foundation.db import database
from grievance.intake import file_grievance
from grievance.jobs import close_unconfirmed, escalate_breached, route_grievance
from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status, as_utc, utcnow
from grievance.outbox import sweep_outbox
from grievance.sla import add_working_days, holidays, tier_limit
from grievance.status import change_status
from tests.factories import make_citizen, make_filing


def _filed(session, **changes):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    return file_grievance(session, make_filing(citizen_id=citizen.id, **changes)).grievance


def test_route_sets_ministry_office_and_deadline_and_marks_the_outbox(session, no_dispatch):
    grievance = _filed(session)
    assert route_grievance(grievance.id) == "routed"
    session.refresh(grievance)
    assert (grievance.status, grievance.ministry_code, grievance.office_level) == (Status.ROUTED, "MOSW", "upazila")
    assert grievance.also_ministry_code == "FD" and grievance.cluster_code == "SA"
    assert grievance.due_at is not None and grievance.routed_at is not None
    pending = session.scalar(
        select(func.count())
        .select_from(OutboxEntry)
        .where(OutboxEntry.kind == "route_grievance", OutboxEntry.done_at.is_(None))
    )
    assert pending == 0


def test_routing_twice_routes_once(session, no_dispatch):
    grievance = _filed(session)
    assert route_grievance(grievance.id) == "routed"
    assert route_grievance(grievance.id) == "already routed"
    routed = session.scalar(
        select(func.count())
        .select_from(GrievanceEvent)
        .where(GrievanceEvent.grievance_id == grievance.id, GrievanceEvent.to_status == Status.ROUTED)
    )
    assert routed == 1


def test_sweeper_enqueues_only_what_is_not_done(session, no_dispatch, monkeypatch):
    grievance = _filed(session)
    sent = []
    monkeypatch.setattr("grievance.outbox.dispatch", lambda work, **_: sent.extend(work) or len(work))
    sweep_outbox(older_than_seconds=0)
    assert sorted(sent) == [("notify_citizen", grievance.id), ("route_grievance", grievance.id)]
    route_grievance(grievance.id)
    sent.clear()
    sweep_outbox(older_than_seconds=0)
    assert ("route_grievance", grievance.id) not in sent  # routed: done
    assert ("notify_citizen", grievance.id) in sent  # the notifications are still to be delivered


def test_routing_and_sms_go_to_their_own_queues(monkeypatch, app_context):
    """A slow SMS provider must not hold up routing: the citizen's SMS go to the "sms" queue."""
    from grievance import outbox

    queued = []
    monkeypatch.setattr(
        outbox, "enqueue_together", lambda calls, also=None: queued.extend((f.__name__, a, q) for f, a, q in calls)
    )
    assert outbox.dispatch([("notify_citizen", 1), ("route_grievance", 1), ("ask_citizen", 1)]) == 3
    assert queued == [
        ("run_entry", ("notify_citizen", 1), "sms"),
        ("run_entry", ("route_grievance", 1), "default"),
        ("run_entry", ("ask_citizen", 1), "sms"),
    ]


def test_escalation_happens_once_per_breach(session, no_dispatch):
    grievance = _filed(session)
    route_grievance(grievance.id)
    session.refresh(grievance)
    after_deadline = (as_utc(grievance.due_at) + dt.timedelta(hours=1)).isoformat()
    before_deadline = (as_utc(grievance.due_at) - dt.timedelta(hours=1)).isoformat()
    assert escalate_breached(before_deadline) == 0
    assert escalate_breached(after_deadline) == 1
    assert escalate_breached(after_deadline) == 0  # the new deadline is ahead: once
    session.refresh(grievance)
    assert grievance.tier == 2
    notes = session.scalars(select(GrievanceEvent.note).where(GrievanceEvent.actor == "sla-clock")).all()
    assert notes == ["deadline passed: escalated to tier 2"]


def test_escalation_writes_its_trail_entry_through_status_record(session, no_dispatch, monkeypatch):
    """The one function that writes the trail: same status, actor "sla-clock" (read by the
    migration that recovered clock starts), and no notice to the citizen."""
    from grievance import status

    grievance = _filed(session)
    route_grievance(grievance.id)
    session.refresh(grievance)
    notices = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == "notify_citizen"))
    recorded = []
    real_record = status.record

    def spy(session, grievance, to, actor, note=None, **options):
        recorded.append((to, actor, note, options))
        return real_record(session, grievance, to, actor, note, **options)

    monkeypatch.setattr(status, "record", spy)
    late = as_utc(grievance.due_at) + dt.timedelta(hours=1)
    assert escalate_breached(late.isoformat()) == 1
    note = "deadline passed: escalated to tier 2"
    assert recorded == [(Status.ROUTED, "sla-clock", note, {"from_status": Status.ROUTED, "tell_citizen": False})]
    session.expire_all()
    assert (grievance.events[-1].from_status, grievance.events[-1].to_status) == (Status.ROUTED, Status.ROUTED)
    assert as_utc(grievance.sla_started_at) == late
    assert as_utc(grievance.due_at) == add_working_days(late, tier_limit(2), holidays(session))
    after = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == "notify_citizen"))
    assert after == notices


def test_resolved_complaints_are_not_escalated(session, no_dispatch):
    grievance = _filed(session)
    route_grievance(grievance.id)
    session.refresh(grievance)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    session.commit()
    late = (as_utc(grievance.due_at) + dt.timedelta(days=400)).isoformat()
    assert escalate_breached(late) == 0


def _resolved(session):
    grievance = _filed(session)
    route_grievance(grievance.id)
    session.refresh(grievance)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    session.commit()
    return grievance


def test_a_resolution_nobody_answers_is_closed_unconfirmed_after_7_days(session, no_dispatch):
    grievance = _resolved(session)
    no_dispatch.clear()
    now = utcnow()
    assert close_unconfirmed((now + dt.timedelta(days=6)).isoformat()) == 0
    assert close_unconfirmed((now + dt.timedelta(days=7, minutes=1)).isoformat()) == 1
    session.refresh(grievance)
    assert grievance.status is Status.CLOSED
    assert grievance.events[-1].note == "no answer in 7 days: closed unconfirmed"
    assert no_dispatch == [("notify_citizen", grievance.id)]  # the citizen hears it is closed
    assert close_unconfirmed((now + dt.timedelta(days=30)).isoformat()) == 0


def test_answered_or_reopened_complaints_are_not_auto_closed(session, no_dispatch):
    grievance = _resolved(session)
    change_status(session, grievance, Status.REOPENED, "citizen", "not resolved")
    session.commit()
    assert close_unconfirmed((utcnow() + dt.timedelta(days=8)).isoformat()) == 0
    session.refresh(grievance)
    assert grievance.status is Status.REOPENED


def test_a_routing_job_routes_the_complaints_waiting_behind_it(session, no_dispatch):
    first, second, third = (_filed(session, programme_code=code) for code in ("OAA", "WDA", "PDA"))
    no_dispatch.clear()  # what filing queued
    assert route_grievance(first.id) == "routed"
    session.expire_all()
    assert [g.status for g in (first, second, third)] == [Status.ROUTED] * 3
    assert all(g.ministry_code and g.due_at for g in (first, second, third))
    # Each citizen is told, and the others' own jobs find their work done.
    assert sorted(gid for kind, gid in no_dispatch if kind == "notify_citizen") == [first.id, second.id, third.id]
    assert route_grievance(third.id) == "already routed"
    pending = (
        select(func.count())
        .select_from(OutboxEntry)
        .where(OutboxEntry.kind == "route_grievance", OutboxEntry.done_at.is_(None))
    )
    assert session.scalar(pending) == 0


def test_a_complaint_locked_by_another_routing_job_is_left_to_it(session, no_dispatch, app):
    if database(app).engine.dialect.name == "sqlite":
        pytest.skip("embedded mode: SQLite has no row locks (CI's second pass runs this)")
    mine, theirs = _filed(session, programme_code="OAA"), _filed(session, programme_code="WDA")
    with database(app).engine.connect() as other_worker:
        other_worker.execute(select(Grievance.id).where(Grievance.id == theirs.id).with_for_update())
        assert route_grievance(theirs.id) == "being routed"
        assert route_grievance(mine.id) == "routed"  # and it does not wait for, or take, theirs
        session.expire_all()
        assert (mine.status, theirs.status) == (Status.ROUTED, Status.RECEIVED)
        other_worker.rollback()


def test_a_routing_batch_reads_the_waiting_complaints_from_their_partial_index_in_the_generic_plan(session):
    """A worker runs the batch's select again and again, so the driver prepares it and
    PostgreSQL plans it once for any parameters: that plan must still read only the
    complaints waiting to be routed, not every complaint ever filed."""
    from sqlalchemy import text

    from grievance.jobs import others_waiting
    from tests.plans import generic_plan

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite's planner is not the one to check (CI's PostgreSQL pass runs this)")
    # A tiny table: forbid whole-table reads so that the plan shows what the planner can use.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = generic_plan(session.connection(), others_waiting(1), {})
    assert "ix_grievances_waiting" in plan, plan
