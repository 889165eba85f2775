"""The per-hop Redis link: replies in order, no reply left behind for the next hop, one
connection per thread, and a connection the server closed replaced by the next read."""

import os
import threading

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from foundation.jobs import redis_connection
from foundation.redis_link import HopConnections


@pytest.fixture
def redis(app):
    client = redis_connection(app)
    yield client
    client.delete("test:link:text", "test:link:count")


@pytest.fixture
def connections(redis):
    return HopConnections(redis)


def test_a_round_trip_returns_each_reply_in_order(connections):
    with connections.link() as link:
        replies = link.round_trip(
            [("SET", "test:link:text", "hello", "EX", 60), ("INCR", "test:link:count"), ("GET", "test:link:text")]
        )
        assert replies == [b"OK", 1, b"hello"]
        assert link.command("MGET", "test:link:text", "test:link:missing") == [b"hello", None]


def test_an_error_midway_closes_the_connection_so_the_next_hop_reads_its_own_reply(redis, connections):
    redis.set("test:link:text", "hello")
    with pytest.raises(ResponseError), connections.link() as link:
        # HINCRBY on a string fails; the GET's reply is then still waiting on the socket.
        link.round_trip([("HINCRBY", "test:link:text", "field", 1), ("GET", "test:link:count")])

    redis.set("test:link:count", "7")
    with connections.link() as link:
        assert link.command("GET", "test:link:text") == b"hello"


def test_each_thread_keeps_its_own_connection(connections):
    def connection_in_a_new_thread():
        found = []
        thread = threading.Thread(target=lambda: found.append(connections._own()[0]))
        thread.start()
        thread.join()
        return found[0]

    first, reused = connections._own()
    assert connections._own() == (first, True) and not reused
    assert connection_in_a_new_thread() is not first


def test_a_forked_process_makes_its_own_connection(connections):
    parent, _ = connections._own()
    child = os.fork()
    if child == 0:  # the child reports by its exit status alone
        os._exit(0 if connections._own()[0] is not parent else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert connections._own()[0] is parent


def _client_id(link) -> int:
    return link.command("CLIENT", "ID")


def test_a_read_on_a_connection_the_server_closed_runs_again_on_a_new_one(real_redis, redis, connections):
    redis.set("test:link:text", "hello")
    with connections.link() as link:
        killed = _client_id(link)
    real_redis.client_kill_filter(_id=killed)  # what a Redis restart does to an idle connection

    with connections.link() as link:
        assert link.read("GET", "test:link:text") == b"hello"
        assert _client_id(link) != killed


def test_a_write_on_a_connection_the_server_closed_is_not_sent_again(real_redis, connections):
    with connections.link() as link:
        killed = _client_id(link)
    real_redis.client_kill_filter(_id=killed)

    with pytest.raises(RedisConnectionError), connections.link() as link:
        link.round_trip([("INCR", "test:link:count")])
    assert real_redis.get("test:link:count") is None


def test_a_repeatable_write_on_a_connection_the_server_closed_runs_again_on_a_new_one(real_redis, connections):
    with connections.link() as link:
        killed = _client_id(link)
    real_redis.client_kill_filter(_id=killed)

    with connections.link() as link:
        assert link.repeatable([("INCR", "test:link:count"), ("INCR", "test:link:count")]) == [1, 2]
        assert _client_id(link) != killed
    assert real_redis.get("test:link:count") == b"2"


def test_a_repeatable_write_on_a_new_connection_that_fails_is_not_sent_again(real_redis, connections, monkeypatch):
    with connections.link() as link:
        _client_id(link)
    connections._local.forks = None  # the next link opens a new connection, as after a fork

    def refused(*_args, **_kwargs):
        raise RedisConnectionError("refused")

    with connections.link() as link:
        monkeypatch.setattr(link._connection, "send_packed_command", refused)
        with pytest.raises(RedisConnectionError):
            link.repeatable([("INCR", "test:link:count")])
    assert real_redis.get("test:link:count") is None
