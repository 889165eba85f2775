"""The per-hop Redis connection: replies in order, and no reply left behind for the next hop."""

import pytest
from redis.exceptions import ResponseError

from sahayata.jobs import redis_connection
from ussd_app.redis_link import redis_link


@pytest.fixture
def redis(app):
    client = redis_connection(app)
    yield client
    client.delete("test:link:text", "test:link:count")


def test_a_round_trip_returns_each_reply_in_order(redis):
    with redis_link(redis) as link:
        replies = link.round_trip(
            [("SET", "test:link:text", "hello", "EX", 60), ("INCR", "test:link:count"), ("GET", "test:link:text")]
        )
        assert replies == [b"OK", 1, b"hello"]
        assert link.command("MGET", "test:link:text", "test:link:missing") == [b"hello", None]


def test_an_error_midway_closes_the_connection_so_the_next_hop_reads_its_own_reply(redis):
    redis.set("test:link:text", "hello")
    with pytest.raises(ResponseError), redis_link(redis) as link:
        # HINCRBY on a string fails; the GET's reply is then still waiting on the socket.
        link.round_trip([("HINCRBY", "test:link:text", "field", 1), ("GET", "test:link:count")])

    redis.set("test:link:count", "7")
    with redis_link(redis) as link:
        assert link.command("GET", "test:link:text") == b"hello"
