"""The Redis client every use shares: REDIS_URL's server, or the master the sentinels name.

With REDIS_SENTINELS set, the client is redis-py's Sentinel master client
(https://redis.readthedocs.io/en/stable/connections.html#sentinel-client): every new
connection asks the sentinels which server is the master now, so after a failover the next
connection opens on the elected replica. A connection to a master that died fails at once
(refused, or the server's end closed), and one to a master that was demoted fails on its
first write (redis-py turns the replica's READONLY reply into a ConnectionError and drops
the connection); either way it surfaces as a ConnectionError (MasterNotFoundError while no
sentinel names a healthy master), which callers already treat as "Redis unavailable".
REDIS_URL still gives the database number, user and password of the data servers.

Web processes fail fast: a USSD hop that cannot reach a master answers "try again" within
the timeouts below rather than wait out an election the gateway would not wait for.
Workers and the scheduler have no caller waiting, so ``ride_out_failover`` makes their
commands wait for the new master instead of failing the job or stopping the process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.connection import parse_url
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

from foundation.config import SENTINEL_MASTER, SENTINEL_PASSWORD, SENTINELS, UnsafeStart

# Seconds. A data server on the service's network answers in milliseconds; these bound a
# hop's wait on one that is gone without a word (a powered-off host drops no connection).
CONNECT_TIMEOUT = 2
COMMAND_TIMEOUT = 5
# Asking a sentinel is one small command; one that does not answer within this is passed
# over for the next. No retries: the next sentinel is the retry.
SENTINEL_TIMEOUT = 1
# A worker's command that lost its server retries for about a minute (0.5, 1, 2, then 4 s
# apart): long enough for sentinels on their default down-after-milliseconds of 30 s to
# agree the master is down and promote a replica (Debian's /etc/redis/sentinel.conf;
# https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/).
WORKER_RETRY = (ExponentialBackoff(cap=4, base=0.25), 17)


class FailoverConnection(SentinelManagedConnection):
    """A Sentinel-managed connection that asks the sentinels however it is (re)connected.

    redis-py's SentinelManagedConnection finds the master in ``connect()``, which the pool
    calls when it hands a connection out; but ``send_packed_command`` on a connection that
    is not connected opens the socket itself, to the last address it had (or, never
    connected, to localhost:6379). That is how a client's retry reconnects, and how the USSD
    session store speaks to its own connection (foundation/redis_link.py): after a failover
    both would keep knocking on the dead master, or talk to another server entirely."""

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._sock:
            self.connect()
        super().send_packed_command(command, check_health)


def connect(config: Mapping[str, object]) -> Redis:
    """The client for REDIS_URL, through the sentinels when REDIS_SENTINELS is set.

    Nothing is opened here: the first command connects, so a start with Redis down still
    starts (and /healthz says what is down)."""
    url = config.get("REDIS_URL")
    sentinels = config.get(SENTINELS) or ()
    if not sentinels:
        return Redis.from_url(str(url), socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT)
    if not url:
        raise UnsafeStart(
            f"{SENTINELS} needs REDIS_URL too, for the database number and password "
            "(e.g. redis://:PASSWORD@mymaster/0; its host is not used, the sentinels name the master)"
        )
    return through_sentinels(
        str(url),
        sentinels,  # type: ignore[arg-type]
        str(config[SENTINEL_MASTER]),
        password=config.get(SENTINEL_PASSWORD),  # type: ignore[arg-type]
    )


def through_sentinels(
    url: str, sentinels: Sequence[tuple[str, int]], master: str, *, password: str | None = None
) -> Redis:
    """A client of ``master``'s current server, found through ``sentinels``; ``url`` gives
    the database number, user and password (its host and port are not used)."""
    if urlsplit(url).scheme != "redis":
        # TLS and unix sockets through sentinels would need settings of their own.
        raise UnsafeStart(f"with {SENTINELS}, REDIS_URL must be a redis:// URL (e.g. redis://:PASSWORD@mymaster/0)")
    options = parse_url(url)
    manager = Sentinel(
        list(sentinels),
        sentinel_kwargs={
            "password": password,
            "socket_connect_timeout": SENTINEL_TIMEOUT,
            "socket_timeout": SENTINEL_TIMEOUT,
            "retry": Retry(NoBackoff(), 0),
        },
    )
    return manager.master_for(
        master,
        connection_class=FailoverConnection,
        db=options.get("db", 0),
        username=options.get("username"),
        password=options.get("password"),
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
    )


def ride_out_failover(client: Redis) -> None:
    """Have ``client``'s commands retry a lost connection for about a minute (WORKER_RETRY)
    before they fail: for worker and scheduler processes, which nobody waits on.

    Each retry opens a new connection, which asks the sentinels again, so a failover is
    ridden out; without sentinels a restart of the one server is. A write whose reply was
    lost may run twice: the jobs are idempotent, and what must happen once is settled in
    the database (claims, dedupe keys), never by a Redis write."""
    backoff, retries = WORKER_RETRY
    client.set_retry(Retry(backoff, retries))
