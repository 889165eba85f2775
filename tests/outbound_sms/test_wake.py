"""The sender's wake-up after a message is recorded, both ways (tests/fast_path.py): on the
web thread's own Redis connection, and through the client's pool."""

import threading

import redis.connection
import redis.exceptions
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


def _lose_the_reply_once(monkeypatch) -> list[bool]:
    """The next wake-up's write reaches the server and runs, and its connection drops before
    the reply is read; returns a list that holds True once that happened."""
    send, read_response = redis.connection.Connection.send_packed_command, redis.connection.Connection.read_response
    sent: list[bytes] = []
    lost: list[bool] = []

    def noting_sent(self, command, *args, **kwargs):
        send(self, command, *args, **kwargs)  # a new connection's own hello is read in here
        sent.append(b"".join(command) if isinstance(command, list) else command)

    def reply_lost_once(self, *args, **kwargs):
        if not lost and any(b"RPUSH" in command for command in sent):
            lost.append(True)
            read_response(self, *args, **kwargs)  # the server ran the write: its first reply is here
            self.disconnect()
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        return read_response(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", noting_sent)
    monkeypatch.setattr(redis.connection.Connection, "read_response", reply_lost_once)
    return lost


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


def test_a_wake_up_whose_reply_was_lost_after_redis_ran_it_still_queues_its_drain(
    app, session, real_redis, monkeypatch
):
    """The server ran the wake-up and the connection dropped before its reply came back (a
    restart, a failover's CLIENT KILL): the write is sent again, and its second run finds the
    flag raised by its first. That raising must still queue the drain, or every wake-up would
    wait for the flag to lapse."""
    first, second = _recorded(session, "wake-lost", 2)
    with app.app_context():
        sending.wake_sender([first])  # the connection is now a reused one
    drain(app)  # the flag is down and no drain is queued
    assert not real_redis.exists(sending.DRAIN_FLAG) and not Queue("sms", connection=real_redis).jobs

    lost = _lose_the_reply_once(monkeypatch)
    with app.app_context():
        sending.wake_sender([second])
    monkeypatch.undo()

    assert lost  # the reply was lost once, after the commands had gone out
    assert [int(raw) for raw in real_redis.lrange(sending.OUTBOX_LIST, 0, -1)] == [second, second]  # ran twice
    assert [job.func_name for job in Queue("sms", connection=real_redis).jobs] == ["outbound_sms.sending.drain_outbox"]
    drain(app)
    session.expire_all()
    assert session.get(Message, second).status is MessageStatus.SENT


def test_a_wake_up_whose_reply_was_lost_on_a_new_connection_still_queues_a_drain(app, session, real_redis, monkeypatch):
    """On a thread's first connection the write is not sent again (it never went through a
    connection the server had closed while idle): the wake-up fails, and its caller logs it,
    but the flag may hold its token, so a drain is queued all the same."""
    (message,) = _recorded(session, "wake-lost-new", 1)
    assert not real_redis.exists(sending.DRAIN_FLAG)
    lost = _lose_the_reply_once(monkeypatch)
    failures: list[BaseException] = []

    def wake_in_a_new_thread() -> None:  # a thread of its own has no connection yet
        with app.app_context():
            try:
                sending.wake_sender([message])
            except redis.exceptions.ConnectionError as error:
                failures.append(error)

    thread = threading.Thread(target=wake_in_a_new_thread)
    thread.start()
    thread.join(30)
    monkeypatch.undo()

    assert lost and message in [int(raw) for raw in real_redis.lrange(sending.OUTBOX_LIST, 0, -1)]
    assert len(failures) <= 1  # the fast path reports the lost reply; the plain one sent it again
    assert [job.func_name for job in Queue("sms", connection=real_redis).jobs] == ["outbound_sms.sending.drain_outbox"]
    drain(app)
    session.expire_all()
    assert session.get(Message, message).status is MessageStatus.SENT
