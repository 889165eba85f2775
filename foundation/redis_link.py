"""How a web request speaks to Redis on its hot paths: the USSD session store's hop (one
read, then one write of a few commands) and the SMS sender's wake-up after a message is
recorded (one write of two commands).

Two ways, behind the same calls (``read``, ``round_trip`` and ``repeatable`` on the link
that ``link()`` yields), chosen by SAHAYATA_FAST_PATH:

``HopConnections`` (the fast path) keeps each thread's own Redis connection and speaks to it
through redis-py's Connection API. Through the client API every call checks a connection out
of the pool (process id checks, a lock, a socket poll), runs a retry wrapper, observability
hooks and reply callbacks, which together were a noticeable share of a hop's CPU (figures in
benchmarks/README.md). The connection and the reply parser are still redis-py's; the
commands are packed by hiredis directly, as redis-py's packing wraps each command in a few
Python layers. The connection is made with the pool's settings (address, database,
password, timeouts). A connection the server closed while idle (a Redis restart) is found
by the hop's first command, a read, which then runs once more on a new connection. A
connection left with a reply unread (an error midway) is closed, so the next hop cannot
read someone else's reply.

``ClientHops`` (the switch back) does the same through redis-py's client and a pipeline.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from hiredis import pack_command
from redis import Redis
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

from foundation.screen_counts import Command


class Link(Protocol):
    def read(self, *args: Any) -> Any: ...

    def round_trip(self, commands: Sequence[Command]) -> list[Any]: ...

    def repeatable(self, commands: Sequence[Command]) -> list[Any]: ...


class Links(Protocol):
    def link(self) -> AbstractContextManager[Link]: ...


class RedisLink:
    __slots__ = ("_connection", "_reused", "_unread")

    def __init__(self, connection: AbstractConnection, reused: bool = False) -> None:
        self._connection = connection
        self._unread = 0
        self._reused = reused  # served an earlier hop: the server may have closed it since

    def command(self, *args: Any) -> Any:
        return self.round_trip([args])[0]

    def read(self, *args: Any) -> Any:
        """A read-only command; on a reused connection the server had closed, it runs again
        on a new one (nothing was written, so nothing can happen twice)."""
        reused = self._reused
        try:
            return self.command(*args)
        except RedisConnectionError:
            if not reused:
                raise
            self._connection.disconnect()
            return self.command(*args)

    def round_trip(self, commands: Sequence[Command]) -> list[Any]:
        """Send the commands together and return their replies (an error reply raises)."""
        connection = self._connection
        self._reused = False
        self._unread = len(commands)
        connection.send_packed_command([b"".join([pack_command(command) for command in commands])])
        replies = []
        for _ in commands:
            replies.append(connection.read_response())
            self._unread -= 1
        return replies

    def repeatable(self, commands: Sequence[Command]) -> list[Any]:
        """``round_trip`` for commands that do no harm if they run twice: on a reused
        connection the server had closed, they run again on a new one. The server may have
        run them already (the connection dropped before their replies came back), so the
        replies are those of the second run: the caller must read them knowing that (the
        sender's wake-up reads back the token it raised its flag with)."""
        reused = self._reused
        try:
            return self.round_trip(commands)
        except RedisConnectionError:
            if not reused:
                raise
            self._connection.disconnect()
            self._unread = 0
            return self.round_trip(commands)


# Bumped in every forked child, whose connections must be its own (os.getpid() on every hop
# would be a system call).
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_count_fork)


class HopConnections:
    """One connection per thread (and per process: a forked child makes its own)."""

    def __init__(self, client: Redis) -> None:
        self._pool = client.connection_pool
        self._local = threading.local()

    def _own(self) -> tuple[AbstractConnection, bool]:
        local = self._local
        if getattr(local, "forks", None) != _forks:
            local.connection, local.forks = self._pool.connection_class(**self._pool.connection_kwargs), _forks
            return local.connection, False
        return local.connection, True

    @contextmanager
    def link(self) -> Iterator[RedisLink]:
        connection, reused = self._own()
        link = RedisLink(connection, reused)
        try:
            yield link
        finally:
            if link._unread:
                connection.disconnect()


class ClientLink:
    """A hop's commands through redis-py's client API (the plain library, no bypass)."""

    __slots__ = ("_client",)

    def __init__(self, client: Redis) -> None:
        self._client = client

    def read(self, *args: Any) -> Any:
        return self._client.execute_command(*args)

    def round_trip(self, commands: Sequence[Command]) -> list[Any]:
        with self._client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return pipe.execute()

    def repeatable(self, commands: Sequence[Command]) -> list[Any]:
        # The pool's check-out finds a connection the server closed while idle (it reads as
        # ready) and opens a new one before anything is sent; one that drops after sending
        # is discarded by redis-py, and the commands run again as RedisLink's would.
        try:
            return self.round_trip(commands)
        except RedisConnectionError:
            return self.round_trip(commands)


class ClientHops:
    """SAHAYATA_FAST_PATH=0: every hop through the client's own connection pool."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    @contextmanager
    def link(self) -> Iterator[ClientLink]:
        yield ClientLink(self._client)


def hop_links(client: Redis, fast_path: bool) -> Links:
    return HopConnections(client) if fast_path else ClientHops(client)
