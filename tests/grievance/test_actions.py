"""Staff actions through the grievance service (the workspace and the CLI both call it)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from foundation.clock import as_utc, utcnow
from grievance.actions import Action, ActionRefused, apply_action, outbox_kind
from grievance.intake import file_grievance
from grievance.jobs import escalate_breached, route_grievance
from grievance.models import Grievance, GrievanceEvent, OutboxEntry, Status
from grievance.outbox import ASK_CITIZEN
from grievance.sla import add_working_days, holidays, tier_limit
from tests.factories import make_citizen, make_filing, make_staff


@pytest.fixture
def late_case(session, no_dispatch) -> Grievance:
    """A complaint routed to MOSW with FD also concerned, taken up by an officer, escalated to
    tier 2 and past that deadline too."""
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    assert (grievance.ministry_code, grievance.also_ministry_code) == ("MOSW", "FD")
    grievance.assigned_to = make_staff(session).id
    grievance.tier = 2
    grievance.sla_started_at = utcnow() - dt.timedelta(days=60)
    grievance.due_at = utcnow() - dt.timedelta(days=10)
    session.commit()
    return grievance


def test_a_transfer_restarts_the_clock_for_the_receiving_ministry_at_the_same_tier(session, late_case):
    late_case.due_at = utcnow() + dt.timedelta(days=1)  # not yet late: the receiving ministry starts afresh
    session.commit()
    before = utcnow()
    apply_action(session, late_case, Action.TRANSFER, "o@mosw", "a food card case", "MOFOOD")
    session.commit()
    session.refresh(late_case)
    assert (late_case.status, late_case.ministry_code, late_case.tier) == (Status.ROUTED, "MOFOOD", 2)
    started = as_utc(late_case.sla_started_at)
    assert before <= started <= utcnow()
    assert as_utc(late_case.due_at) == add_working_days(started, tier_limit(2), holidays(session))
    # The receiving ministry has its full tier-2 days.
    assert escalate_breached() == 0


def test_a_complaint_past_its_deadline_keeps_it_when_transferred_and_escalates(session, late_case):
    due = as_utc(late_case.due_at)
    apply_action(session, late_case, Action.TRANSFER, "o@mosw", "a food card case", "MOFOOD")
    session.commit()
    session.refresh(late_case)
    assert (late_case.ministry_code, as_utc(late_case.due_at)) == ("MOFOOD", due)
    assert escalate_breached() == 1  # a transfer is not a way to stop the clock
    session.refresh(late_case)
    assert (late_case.ministry_code, late_case.tier) == ("MOFOOD", 3)


def test_a_transfer_to_the_ministry_that_has_the_complaint_is_refused(session, late_case):
    due = as_utc(late_case.due_at)
    with pytest.raises(ActionRefused) as refused:
        apply_action(session, late_case, Action.TRANSFER, "o@mosw", "to myself", "MOSW")
    assert refused.value.code == "same_ministry"
    assert (late_case.status, as_utc(late_case.due_at)) == (Status.ROUTED, due)


def test_a_transfer_drops_the_also_concerned_ministry_and_the_officer(session, late_case):
    apply_action(session, late_case, Action.TRANSFER, "o@mosw", "the finance division leads", "FD")
    session.commit()
    session.refresh(late_case)
    assert (late_case.ministry_code, late_case.also_ministry_code, late_case.assigned_to) == ("FD", None, None)
    trail = [(e.to_status, e.note) for e in late_case.events[-2:]]
    assert trail == [
        (Status.TRANSFERRED, "to FD: the finance division leads"),
        (Status.ROUTED, "transferred to FD"),
    ]


def test_a_refused_transfer_changes_nothing(session, late_case):
    due = as_utc(late_case.due_at)
    with pytest.raises(ActionRefused) as refused:
        apply_action(session, late_case, Action.TRANSFER, "o@mosw", "", "MOFOOD")
    assert refused.value.code == "note_required"
    with pytest.raises(ActionRefused) as refused:
        apply_action(session, late_case, Action.TRANSFER, "o@mosw", "why", None)
    assert refused.value.code == "ministry_required"
    assert (late_case.ministry_code, late_case.also_ministry_code, as_utc(late_case.due_at)) == ("MOSW", "FD", due)


@pytest.mark.parametrize(
    ("action", "written"), [(Action.NOTE, "called the union"), (Action.ASK, "asked the citizen: called the union")]
)
def test_a_note_or_a_question_joins_the_trail_and_keeps_the_status(session, late_case, action, written):
    apply_action(session, late_case, action, "staff:1", "called the union")
    session.commit()
    last = session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == late_case.id).order_by(GrievanceEvent.id.desc())
    ).first()
    assert (last.from_status, last.to_status, last.note) == (Status.ROUTED, Status.ROUTED, written)
    with pytest.raises(ActionRefused) as refused:
        apply_action(session, late_case, action, "staff:1", " ")
    assert refused.value.code == "text_required"


def test_a_question_is_an_outbox_entry_in_the_actions_transaction(session, late_case):
    apply_action(session, late_case, Action.ASK, "cli", "which month was missed?")
    session.commit()
    [entry] = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == ASK_CITIZEN)).all()
    assert (entry.grievance_id, entry.payload["question"], entry.done_at) == (
        late_case.id,
        "which month was missed?",
        None,
    )
    assert outbox_kind(Action.ASK) == ASK_CITIZEN and outbox_kind(Action.NOTE) is None


def test_a_question_to_a_complaint_without_a_phone_is_refused_and_not_recorded(session, late_case, monkeypatch):
    monkeypatch.setattr("grievance.actions.contact_phone", lambda session, grievance: None)
    events = len(late_case.events)
    with pytest.raises(ActionRefused) as refused:
        apply_action(session, late_case, Action.ASK, "cli", "which month?")
    assert refused.value.code == "no_phone"
    session.rollback()
    assert len(late_case.events) == events
    assert session.scalars(select(OutboxEntry).where(OutboxEntry.kind == ASK_CITIZEN)).all() == []
