"""The provider's rate as a token bucket in Redis, shared by every worker."""

from __future__ import annotations

import uuid

import pytest

from foundation.jobs import redis_connection
from outbound_sms.rate_limit import TokenBucket


class Stop(Exception):
    pass


def recording_sleep(waits: list[float]):
    def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise Stop  # the test only wants to know how long the bucket would make it wait

    return sleep


@pytest.fixture
def bucket_name():
    return f"test-{uuid.uuid4().hex[:8]}"


def test_a_full_bucket_gives_a_seconds_worth_then_makes_you_wait(app, bucket_name):
    waits: list[float] = []
    bucket = TokenBucket(redis_connection(app), bucket_name, rate=5, sleep=recording_sleep(waits))
    assert [bucket.take() for _ in range(5)] == [0.0] * 5
    with pytest.raises(Stop):
        bucket.take()
    [wait] = waits
    assert 0 < wait <= 0.2  # one token at 5 a second


def test_workers_share_one_bucket(app, bucket_name):
    waits: list[float] = []
    first = TokenBucket(redis_connection(app), bucket_name, rate=3)
    second = TokenBucket(redis_connection(app), bucket_name, rate=3, sleep=recording_sleep(waits))
    for _ in range(3):
        first.take()
    with pytest.raises(Stop):
        second.take()  # the other worker emptied it
    assert len(waits) == 1 and waits[0] > 0


def test_asking_for_more_than_the_bucket_holds_is_an_error(app, bucket_name):
    with pytest.raises(ValueError):
        TokenBucket(redis_connection(app), bucket_name, rate=2).take(3)


def test_sending_takes_a_token_per_message(app, session, monkeypatch):
    from outbound_sms import sending
    from outbound_sms.sending import NewMessage, create_messages, send_batch

    taken: list[int] = []

    class CountingBucket:
        def take(self, tokens: int = 1) -> float:
            taken.append(tokens)
            return 0.0

    monkeypatch.setattr(sending, "rate_limiter", lambda name: CountingBucket())
    drafts = [NewMessage(f"+88017000000{i:02d}", "hello", "en", "test", f"rate:{i}") for i in range(7)]
    ids = create_messages(session, drafts)
    session.commit()
    assert set(send_batch(ids).values()) == {"sent"}
    assert taken == [1] * 7
