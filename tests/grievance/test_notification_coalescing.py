"""A notification waiting in the queue carries later updates of the same complaint.

Under a backlog, routing a complaint whose "received" SMS job has not started yet adds
its "routed" entry to the outbox and lets that job send both, instead of queueing a
second job. These tests need real queues (CI's second pass): inline jobs never wait.
"""

from rq import Queue
from sqlalchemy import select

from foundation.jobs import SMS_QUEUE
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.outbox import sweep_outbox
from outbound_sms.models import Message
from tests.factories import make_citizen, make_filing


def _file(session):
    citizen = make_citizen(session, mobile="+8801712345670")
    session.commit()
    return file_grievance(session, make_filing(citizen_id=citizen.id, phone=citizen.mobile)).grievance


def _run_sms_jobs(queue: Queue) -> None:
    for job in queue.get_jobs():
        queue.remove(job)
        job.perform()


def _templates(session, grievance) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Message.template).where(Message.phone == grievance.contact_phone)))


def test_routing_before_the_received_sms_went_out_rides_on_that_job(session, real_redis):
    grievance = _file(session)
    sms = Queue(SMS_QUEUE, connection=real_redis)
    assert sms.count == 1  # "received", not started

    assert route_grievance(grievance.id) == "routed"
    assert sms.count == 1  # no second job

    _run_sms_jobs(sms)
    assert sorted(_templates(session, grievance)) == ["complaint_received", "complaint_routed"]


def test_routing_after_the_received_sms_job_started_queues_its_own(session, real_redis):
    grievance = _file(session)
    sms = Queue(SMS_QUEUE, connection=real_redis)
    _run_sms_jobs(sms)
    assert _templates(session, grievance) == ["complaint_received"]

    assert route_grievance(grievance.id) == "routed"
    assert sms.count == 1

    _run_sms_jobs(sms)
    assert sorted(_templates(session, grievance)) == ["complaint_received", "complaint_routed"]


def test_the_sweeper_queues_a_job_even_while_one_is_said_to_be_waiting(session, real_redis):
    """A job lost with its queue must not leave the complaint silent until the mark expires."""
    grievance = _file(session)
    sms = Queue(SMS_QUEUE, connection=real_redis)
    sms.empty()  # the waiting job is lost; its mark remains

    sweep_outbox(older_than_seconds=0)
    assert sms.count == 1
    _run_sms_jobs(sms)
    assert _templates(session, grievance) == ["complaint_received"]
