"""One Redis connection per USSD hop, spoken to through redis-py's Connection API.

A hop makes two round trips: it loads the session (MGET) and saves it (a few writes sent
together). Through the client API every call checks a connection out of the pool (with
a socket poll), runs a retry wrapper, observability hooks and reply callbacks. Measured
on this machine, an MGET cost 64 µs of CPU that way against 33 µs on the Connection, and
the save 91 µs against 44 µs: together about a tenth of a hop. The commands and the reply
parser (hiredis) are still redis-py's.

The connection is checked out once per hop; the pool's checkout also heals a connection
that died with a Redis restart. A connection left with a reply unread (an error midway)
is closed rather than returned, so the next hop cannot read someone else's reply.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from redis import Redis
from redis.connection import AbstractConnection

Command = tuple[Any, ...]


class RedisLink:
    __slots__ = ("_connection", "_unread")

    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection
        self._unread = 0

    def command(self, *args: Any) -> Any:
        return self.round_trip([args])[0]

    def round_trip(self, commands: Sequence[Command]) -> list[Any]:
        """Send the commands together and return their replies (an error reply raises)."""
        connection = self._connection
        self._unread = len(commands)
        connection.send_packed_command(connection.pack_commands(commands))
        replies = []
        for _ in commands:
            replies.append(connection.read_response())
            self._unread -= 1
        return replies


@contextmanager
def redis_link(client: Redis) -> Iterator[RedisLink]:
    pool = client.connection_pool
    connection = pool.get_connection()
    link = RedisLink(connection)
    try:
        yield link
    finally:
        if link._unread:
            connection.disconnect()
        pool.release(connection)
