"""Complaint notices made from the grievance outbox: updates and officers' questions."""

from __future__ import annotations

from sqlalchemy import select

from grievance.actions import Action, apply_action
from grievance.intake import file_grievance
from grievance.models import GrievanceEvent, OutboxEntry
from grievance.outbox import ASK_CITIZEN
from notices import notifications
from outbound_sms.models import Message
from tests.factories import make_citizen, make_filing


def test_a_question_whose_complaint_lost_its_phone_says_so_in_the_trail(session, no_dispatch, monkeypatch):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    apply_action(session, grievance, Action.ASK, "cli", "which month was missed?")
    session.commit()
    monkeypatch.setattr(notifications, "contact_phone", lambda session, grievance: None)  # the number was removed
    assert notifications.deliver_questions(grievance.id) == 0
    session.expire_all()
    [entry] = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == ASK_CITIZEN)).all()
    assert entry.done_at is not None
    last = session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id).order_by(GrievanceEvent.id.desc())
    ).first()
    assert last.note == "question not sent: the complaint has no phone number now"
    assert session.scalars(select(Message).where(Message.template == "information_request")).all() == []
