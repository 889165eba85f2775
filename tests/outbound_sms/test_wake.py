"""The sender's wake-up after a message is recorded, both ways (tests/fast_path.py): on the
web thread's own Redis connection, and through the client's pool."""

from rq import Queue

from foundation.jobs import redis_links
from outbound_sms import sending
from outbound_sms.models import Message, MessageStatus
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.helpers import drain


def _recorded(session, prefix: str, count: int) -> list[int]:
    ids = sending.create_messages(
        session, [sending.NewMessage(f"+8801700004{i:03d}", "hi", "en", "t", f"{prefix}:{i}") for i in range(count)]
    )
    session.commit()
    return ids


def test_woken_messages_wait_in_the_list_for_one_drain_which_sends_them(app, session, real_redis):
    ids = _recorded(session, "wake-both", 3)
    with app.app_context():
        for message_id in ids:
            sending.wake_sender([message_id])
    assert [int(raw) for raw in real_redis.lrange(sending.OUTBOX_LIST, 0, -1)] == ids
    assert [job.func_name for job in Queue("sms", connection=real_redis).jobs] == ["outbound_sms.sending.drain_outbox"]
    drain(app)
    session.expire_all()
    assert [session.get(Message, i).status for i in ids] == [MessageStatus.SENT] * 3


def test_a_wake_up_after_redis_closed_the_idle_connection_still_reaches_the_sender(app, session, real_redis):
    first, second = _recorded(session, "wake-closed", 2)
    with app.app_context():
        sending.wake_sender([first])
        with redis_links().link() as link:
            used = link.read("CLIENT", "ID")
    real_redis.client_kill_filter(_id=used)  # a Redis restart between two requests
    with app.app_context():
        sending.wake_sender([second])
    assert [int(raw) for raw in real_redis.lrange(sending.OUTBOX_LIST, 0, -1)] == [first, second]
    drain(app)
    session.expire_all()
    assert session.get(Message, second).status is MessageStatus.SENT
