"""Complaint notifications become SMS, each sent at most once, through the console provider."""

import datetime as dt

import pytest
from sqlalchemy import select

from foundation.jobs import redis_connection
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from notices.notifications import deliver_complaint_updates
from outbound_sms import sending
from outbound_sms.models import Message, MessageStatus
from outbound_sms.providers import ProviderError, Sent
from outbound_sms.providers.console import ConsoleProvider
from tests.factories import make_citizen, make_filing
from tests.helpers import drain


@pytest.fixture(autouse=True)
def empty_console(app):
    redis_connection(app).delete("sms:console")
    yield
    redis_connection(app).delete("sms:console")


def console(app) -> list[dict]:
    return ConsoleProvider(redis_connection(app)).recent(50)


def _file(session):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    return file_grievance(session, make_filing(citizen_id=citizen.id)).grievance


def test_a_filed_complaint_sends_received_then_routed(app, session):
    grievance = _file(session)
    drain(app)
    drain(app)  # routing queues the "routed" notification, which queues its send
    texts = [m["text"] for m in reversed(console(app))]
    number = "".join("০১২৩৪৫৬৭৮৯"[int(d)] for d in grievance.tracking_number)
    assert texts == [
        f"অভিযোগ {number} গৃহীত হয়েছে। কোনো অফিস দায়িত্ব নিলে জানাব।",
        f"অভিযোগ {number} দায়িত্বপ্রাপ্ত অফিসে পাঠানো হয়েছে।",
    ]
    assert {m["to"] for m in console(app)} == {"+8801712345678"}
    messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.status, m.encoding, m.segments) for m in messages] == [(MessageStatus.SENT, "UCS-2", 1)] * 2


def test_delivery_and_sending_twice_send_once(app, session, no_dispatch):
    grievance = _file(session)
    assert deliver_complaint_updates(grievance.id) == 1
    assert deliver_complaint_updates(grievance.id) == 0
    [message] = session.scalars(select(Message)).all()
    drain(app)
    assert sending.send_message(message.id) in ("sent", "not mine")
    assert sending.send_message(message.id) == "not mine"
    assert len(console(app)) == 1


def test_an_unregistered_caller_hears_every_step_on_the_phone_that_filed(app, session, no_dispatch):
    grievance = file_grievance(session, make_filing(phone="+8801999000111")).grievance
    assert deliver_complaint_updates(grievance.id) == 1
    route_grievance(grievance.id)
    assert deliver_complaint_updates(grievance.id) == 1
    phones = session.scalars(select(Message.phone)).all()
    assert phones == ["+8801999000111", "+8801999000111"]


class Flaky:
    name = "flaky"

    def __init__(self, retryable: bool) -> None:
        self.retryable = retryable

    def send(self, to, text, reference=None):
        raise ProviderError("HTTP 503" if self.retryable else "HTTP 400 invalid number", retryable=self.retryable)


@pytest.fixture
def unsent(session, no_dispatch, monkeypatch):
    """One notification message, created but not yet sent (the test sends it)."""
    grievance = _file(session)
    monkeypatch.setattr("notices.notifications.send_batch", lambda message_ids: {})
    deliver_complaint_updates(grievance.id)
    [message] = session.scalars(select(Message)).all()
    return message


def test_a_retryable_failure_holds_the_message_until_its_retry_is_due(app, session, unsent, monkeypatch):
    message = unsent
    monkeypatch.setattr(sending, "provider", lambda name=None: Flaky(retryable=True))
    monkeypatch.setattr(sending, "queue_send", lambda message_id: None)
    assert sending.send_message(message.id) == "retry"
    session.expire_all()
    assert (message.status, message.error, message.attempts) == (MessageStatus.SENDING, "HTTP 503", 1)
    assert sending.send_message(message.id) == "not mine"  # too early: the retry is due in 5 s
    monkeypatch.setattr(sending, "provider", lambda name=None: ConsoleProvider(redis_connection(app)))
    later = sending.utcnow() + dt.timedelta(seconds=sending.RETRY_DELAYS[0])
    monkeypatch.setattr(sending, "utcnow", lambda: later)
    assert sending.send_message(message.id) == "sent"  # when it is due, the retry takes it
    session.expire_all()
    assert message.status is MessageStatus.SENT and message.attempts == 2


def test_a_permanent_failure_is_final(app, session, unsent, monkeypatch):
    message = unsent
    monkeypatch.setattr(sending, "provider", lambda name=None: Flaky(retryable=False))
    monkeypatch.setattr(sending, "queue_send", lambda message_id: None)
    assert sending.send_message(message.id) == "failed"
    assert sending.send_message(message.id) == "not mine"
    session.expire_all()
    assert message.status is MessageStatus.FAILED


def test_sweep_requeues_messages_never_sent(app, session, no_dispatch, monkeypatch):
    grievance = _file(session)
    monkeypatch.setattr("notices.notifications.send_batch", lambda message_ids: {})  # the worker died here
    deliver_complaint_updates(grievance.id)
    queued = []
    monkeypatch.setattr(sending, "enqueue", lambda job, ids, queue_name: queued.append((job, ids)))
    [message_id] = session.scalars(select(Message.id)).all()
    assert sending.sweep_messages() == 1 and queued == [(sending.send_batch, [message_id])]


def test_messages_sent_before_a_crash_are_recorded_as_sent(app, session, monkeypatch):
    """A batch that dies half way (a bug, a lost connection) still records what went out,
    so the sweeper never sends those again."""
    from outbound_sms.sending import NewMessage, create_messages, send_batch

    ids = create_messages(session, [NewMessage(f"+8801700000{i:03d}", "hi", "en", "t", f"crash:{i}") for i in range(5)])
    session.commit()

    class DiesOnTheFourth:
        name = "dies"
        calls = 0

        def send(self, to, text, reference=None):
            DiesOnTheFourth.calls += 1
            if DiesOnTheFourth.calls == 4:
                raise RuntimeError("connection reset")
            return Sent(f"id{DiesOnTheFourth.calls}")

    monkeypatch.setattr(sending, "provider", lambda name=None: DiesOnTheFourth())
    with pytest.raises(RuntimeError):
        send_batch(ids)
    session.expire_all()
    statuses = [session.get(Message, i).status for i in ids]
    assert statuses[:3] == [MessageStatus.SENT] * 3 and statuses[3:] == [MessageStatus.SENDING] * 2


def test_a_slow_batch_keeps_its_claim_on_the_messages_it_has_not_reached(app, session, monkeypatch):
    from outbound_sms.sending import NewMessage, create_messages, send_batch

    monkeypatch.setattr(sending, "RECORD_EVERY", 2)
    monkeypatch.setattr(sending, "CLAIM_SECONDS", 0)  # every check finds the hold running out
    ids = create_messages(session, [NewMessage(f"+8801700001{i:03d}", "hi", "en", "t", f"hold:{i}") for i in range(5)])
    session.commit()
    extended = []
    real_extend = sending._extend_claims
    monkeypatch.setattr(
        sending, "_extend_claims", lambda rest, seconds: extended.append(list(rest)) or real_extend(rest, seconds)
    )
    send_batch(ids)
    assert extended == [ids[2:], ids[4:]]
    extended.clear()
    monkeypatch.setattr(sending, "CLAIM_SECONDS", 60)  # a fast batch has time to spare: no extra writes
    more = create_messages(session, [NewMessage(f"+8801700002{i:03d}", "hi", "en", "t", f"fast:{i}") for i in range(5)])
    session.commit()
    send_batch(more)
    assert extended == []


def test_a_message_records_the_parts_its_provider_will_bill(app, session, monkeypatch):
    # 134 units with a conjunct across the first part's end: 2 parts as the standard cuts
    # it, 3 as Twilio bills it (it never splits a grapheme cluster).
    text = "ক" * 65 + "ক্ষ" + "ক" * 66

    def recorded(**kwargs) -> int:
        message_id = sending.create_message(
            session, phone="+8801712345678", text=text, locale="bn", template="reply", dedupe_key=None, **kwargs
        )
        return session.get(Message, message_id).segments

    monkeypatch.setitem(app.config, "SMS_PROVIDER", "kannel")
    assert recorded(via="twilio") == 3 and recorded(via="kannel") == 2 and recorded() == 2
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "twilio")
    assert recorded() == 3
    [batch_id] = sending.create_messages(
        session, [sending.NewMessage("+8801712345679", text, "bn", "payment_sent", "parts-test")]
    )
    assert session.get(Message, batch_id).segments == 3
    session.rollback()


def _singles(session, prefix: str, count: int) -> list[int]:
    ids = sending.create_messages(
        session, [sending.NewMessage(f"+8801700003{i:03d}", "hi", "en", "t", f"{prefix}:{i}") for i in range(count)]
    )
    session.commit()
    return ids


def test_single_messages_woken_together_share_one_drain_job(app, session, real_redis):
    from rq import Queue

    ids = _singles(session, "wake", 3)
    for message_id in ids:
        sending.wake_sender([message_id])
    sms_queue = Queue("sms", connection=real_redis)
    assert [job.func_name for job in sms_queue.jobs] == ["outbound_sms.sending.drain_outbox"]
    drain(app)
    session.expire_all()
    assert [session.get(Message, i).status for i in ids] == [MessageStatus.SENT] * 3
    assert real_redis.llen(sending.OUTBOX_LIST) == 0 and not real_redis.exists(sending.DRAIN_FLAG)
    [later] = _singles(session, "wake-later", 1)
    sending.wake_sender([later])  # the drain has finished: the next message queues the next one
    assert sms_queue.count == 1


def test_a_message_woken_while_a_drain_runs_is_sent(app, session, real_redis, monkeypatch):
    first, second = _singles(session, "during", 2)
    real_send_batch = sending.send_batch
    woken = []

    def send_and_meanwhile_another_arrives(message_ids):
        if not woken:  # a web request commits and wakes the sender while this drain is sending
            woken.append(second)
            sending.wake_sender([second])
        return real_send_batch(message_ids)

    sending.wake_sender([first])
    monkeypatch.setattr(sending, "send_batch", send_and_meanwhile_another_arrives)
    with app.app_context():
        assert sending.drain_outbox() == 2
    session.expire_all()
    assert session.get(Message, second).status is MessageStatus.SENT
    # The flag was clear when it arrived, so a drain was queued for it too: it finds nothing.
    drain(app)
    assert session.get(Message, second).attempts == 1


def test_a_message_whose_wake_up_was_lost_is_swept(app, session, real_redis):
    """Redis lost the list (a failover): the row is still there, and the sweeper sends it."""
    [message_id] = _singles(session, "lost", 1)
    sending.wake_sender([message_id])
    real_redis.delete(sending.OUTBOX_LIST)
    drain(app)  # the drain finds an empty list
    session.expire_all()
    assert session.get(Message, message_id).status is MessageStatus.CREATED
    with app.app_context():
        assert sending.sweep_messages() == 1
    drain(app)
    session.expire_all()
    assert session.get(Message, message_id).status is MessageStatus.SENT


def test_a_backlog_is_drained_in_parts_by_several_drains(app, session, real_redis, monkeypatch):
    from rq import Queue

    monkeypatch.setattr(sending, "DRAIN_TAKE", 4)
    monkeypatch.setattr(sending, "DRAIN_SECONDS", 0)  # each drain sends one part, then hands on
    ids = _singles(session, "backlog", 10)
    sending.wake_sender(ids)
    sms_queue = Queue("sms", connection=real_redis)
    sms_queue.empty()  # the test runs the first drain itself
    with app.app_context():
        assert sending.drain_outbox() == 4  # one part, and another drain queued for the rest
    assert sms_queue.count == 1 and real_redis.llen(sending.OUTBOX_LIST) == 6
    drain(app)
    session.expire_all()
    assert [session.get(Message, i).status for i in ids] == [MessageStatus.SENT] * 10
    assert real_redis.llen(sending.OUTBOX_LIST) == 0


def test_a_drain_that_fails_leaves_the_rest_to_another_drain(app, session, real_redis, monkeypatch):
    from rq import Queue

    monkeypatch.setattr(sending, "DRAIN_TAKE", 2)
    ids = _singles(session, "fails", 5)
    sending.wake_sender(ids)
    Queue("sms", connection=real_redis).empty()  # the test runs the drains itself

    def provider_down(message_ids):
        raise RuntimeError("provider down")

    monkeypatch.setattr(sending, "send_batch", provider_down)
    with app.app_context(), pytest.raises(RuntimeError):
        sending.drain_outbox()
    assert real_redis.llen(sending.OUTBOX_LIST) == 3 and Queue("sms", connection=real_redis).count == 1


def test_a_wake_up_whose_drain_could_not_be_queued_leaves_no_flag(app, session, real_redis, monkeypatch):
    [message_id] = _singles(session, "no-queue", 1)

    def redis_refuses(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(sending, "enqueue", redis_refuses)
    with pytest.raises(ConnectionError):
        sending.wake_sender([message_id])
    assert not real_redis.exists(sending.DRAIN_FLAG)  # the next wake-up queues a drain


def test_the_message_as_a_statement_part_gives_every_column_with_a_python_default():
    """As the question's part (tests/grievance/test_questions.py): a Python-side default left
    out of a part inside another statement's WITH would be written NULL, unreported."""
    from sqlalchemy.dialects import postgresql

    compiled = sending.MESSAGE_PART.compile(dialect=postgresql.psycopg.dialect())
    assert compiled.insert_prefetch == []
    assert set(compiled.params) == set(sending.MESSAGE_PART_PARAMETERS)
