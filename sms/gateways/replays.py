"""Each inbound message acts once, however often it arrives.

A provider retries a request whose answer it did not get, and anyone who saw a signed
request can send it again; either way a second STOP must not toggle the opt-out back, nor
a second INFO add a second timeline entry. The provider's own message id (Twilio's
MessageSid, Kannel's %I) is marked in Redis for a day (SET NX EX, one atomic step, so two
copies arriving together cannot both pass).

The mark is a short claim while the work runs, made final only once the work has
committed: if the work fails (a database error, a crash), the claim is dropped or lapses
and the provider's retry is handled, not swallowed.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType

from redis.exceptions import RedisError

from foundation.jobs import redis_connection

log = logging.getLogger(__name__)

DONE_SECONDS = 24 * 3600
# Long enough for the slowest answer (a complaint's filing); a crashed worker's claim lapses
# after it and a retry is then handled.
CLAIM_SECONDS = 120

# Providers' ids are short ASCII tokens (Twilio: "SM" and 32 hex digits; Kannel: a UUID).
MESSAGE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def valid_message_id(value: str) -> bool:
    return MESSAGE_ID.fullmatch(value) is not None


class InboundOnce:
    """``with InboundOnce("twilio", sid) as once:`` then ``if not once.first: <replay>``.

    Leaving the block normally marks the message done for a day; leaving it by an exception
    forgets the claim, so that the provider's retry is handled.

    With Redis down the message is handled unmarked: Twilio does not retry, so refusing it
    would lose a citizen's STOP or complaint, while a replay landing in the same outage is
    unlikely and changes at most one thing twice."""

    def __init__(self, provider: str, message_id: str) -> None:
        self.key = f"sms:inbound:{provider}:{message_id}"
        self.first = False
        self.marked = False

    def __enter__(self) -> InboundOnce:
        try:
            self.first = self.marked = bool(redis_connection().set(self.key, "working", nx=True, ex=CLAIM_SECONDS))
        except RedisError:
            log.warning("Redis unavailable: inbound SMS handled without its replay mark")
            self.first = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self.marked:
            return
        try:
            if kind is None:
                redis_connection().set(self.key, "done", ex=DONE_SECONDS)
            else:
                redis_connection().delete(self.key)
        except RedisError:  # the work is done and committed; only the mark is lost
            log.warning("Redis unavailable: the replay mark of an inbound SMS was not updated")
