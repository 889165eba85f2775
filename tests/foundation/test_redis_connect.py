"""The Redis client a start makes: REDIS_URL's server, or the master the sentinels name.

These build clients without reaching any server; tests/peers/test_redis_failover.py runs a
real failover.
"""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.sentinel import SentinelConnectionPool

from foundation.config import UnsafeStart, settings_from_env
from foundation.redis_connect import (
    COMMAND_TIMEOUT,
    CONNECT_TIMEOUT,
    SENTINEL_TIMEOUT,
    FailoverConnection,
    connect,
    ride_out_failover,
)
from sahayata.app import create_app
from tests.helpers import free_port

SENTINEL_ENV = {
    "REDIS_URL": "redis://app:s3cret@ignored-host:1234/3",
    "REDIS_SENTINELS": "10.0.0.5:26379,10.0.0.6:26380",
    "REDIS_SENTINEL_MASTER": "sahayata",
}


def test_without_sentinels_the_client_talks_to_the_url_server():
    client = connect(settings_from_env({"REDIS_URL": "redis://h.example:6390/4"}))
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("h.example", 6390, 4)
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (CONNECT_TIMEOUT, COMMAND_TIMEOUT)


def test_with_sentinels_the_client_asks_them_for_the_master_and_keeps_the_urls_database_and_password():
    client = connect(settings_from_env(SENTINEL_ENV))
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "sahayata" and pool.is_master
    assert pool.connection_class is FailoverConnection
    kwargs = pool.connection_kwargs
    assert (kwargs["db"], kwargs["username"], kwargs["password"]) == (3, "app", "s3cret")
    assert "host" not in kwargs  # the URL's host is not used: the sentinels name the master
    asked = [sentinel.connection_pool.connection_kwargs for sentinel in pool.sentinel_manager.sentinels]
    assert [(each["host"], each["port"]) for each in asked] == [("10.0.0.5", 26379), ("10.0.0.6", 26380)]
    # A sentinel that does not answer is passed over quickly, without retries or the data password.
    assert {(each["socket_timeout"], each["socket_connect_timeout"]) for each in asked} == {(SENTINEL_TIMEOUT,) * 2}
    assert {each["retry"].get_retries() for each in asked} == {0}
    assert {each["password"] for each in asked} == {None}


def test_the_sentinels_own_password_is_sent_to_them_only():
    client = connect(settings_from_env({**SENTINEL_ENV, "REDIS_SENTINEL_PASSWORD": "sent1nel"}))
    sentinels = client.connection_pool.sentinel_manager.sentinels
    assert {sentinel.connection_pool.connection_kwargs["password"] for sentinel in sentinels} == {"sent1nel"}
    assert client.connection_pool.connection_kwargs["password"] == "s3cret"


def test_sentinels_without_redis_url_refuse_to_start_naming_both():
    with pytest.raises(UnsafeStart, match=r"REDIS_SENTINELS needs REDIS_URL too"):
        create_app(env={k: v for k, v in SENTINEL_ENV.items() if k != "REDIS_URL"} | {"SAHAYATA_ENV": "development"})


@pytest.mark.parametrize("url", ["rediss://h:6380/0", "unix:///run/redis.sock?db=1"])
def test_sentinels_with_a_tls_or_socket_url_refuse_to_start(url):
    with pytest.raises(UnsafeStart, match=r"with REDIS_SENTINELS, REDIS_URL must be a redis:// URL"):
        connect(settings_from_env({**SENTINEL_ENV, "REDIS_URL": url}))


class _Sentinels:
    """Stands in for the sentinels' answer: the master is at ``address``."""

    def __init__(self, address):
        self.address = address

    def discover_master(self, service_name):
        return self.address


def test_a_connection_that_sends_unconnected_goes_to_the_master_the_sentinels_name():
    # The USSD session store and a client's retry both send on a connection that is not
    # connected; it must open on the master the sentinels name, not on its last address or
    # on localhost:6379. Nothing listens on the port named, so the refusal names it.
    port = free_port()
    pool = SentinelConnectionPool("sahayata", _Sentinels(("127.0.0.1", port)), connection_class=FailoverConnection)
    connection = pool.connection_class(**pool.connection_kwargs)
    with pytest.raises(RedisConnectionError, match=rf"127\.0\.0\.1:{port}"):
        connection.send_packed_command([b"*1\r\n$4\r\nPING\r\n"])
    assert (connection.host, connection.port) == ("127.0.0.1", port)


def test_a_connection_asks_again_after_a_failover():
    # It last spoke to the old master (connect_to records the address it opened); the
    # connection dropped, the sentinels now name another server, and the next send goes there.
    old, elected = free_port(), free_port()
    sentinels = _Sentinels(("127.0.0.1", elected))
    pool = SentinelConnectionPool("sahayata", sentinels, connection_class=FailoverConnection)
    connection = pool.connection_class(**pool.connection_kwargs)
    connection.host, connection.port = "127.0.0.1", old
    with pytest.raises(RedisConnectionError, match=rf"127\.0\.0\.1:{elected}"):
        connection.send_packed_command([b"*1\r\n$4\r\nPING\r\n"])


def test_a_worker_client_retries_a_lost_connection_for_about_a_minute():
    client = connect(settings_from_env(SENTINEL_ENV))
    ride_out_failover(client)
    retry = client.connection_pool.connection_kwargs["retry"]
    waits = [retry._backoff.compute(failure) for failure in range(1, retry.get_retries() + 1)]
    assert 45 <= sum(waits) <= 75 and max(waits) <= 4
