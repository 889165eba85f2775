"""How many other people a phone has looked up today, on any channel.

Finding a person by NID and date of birth reveals whether they are registered and what they
may receive, so each phone gets a few look-ups a day: USSD and SMS count against the same
number, or the limit could be doubled by switching channel.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis

LOOKUPS_PER_DAY = 5
_KEPT_FOR = 2 * 24 * 3600  # a day's counter outlives the day in every time zone


def _key(phone: str, day: dt.date) -> str:
    return f"lookups:{phone}:{day.isoformat()}"


def count_lookup(redis: Redis, phone: str, day: dt.date) -> int:
    """Count one look-up by this phone on ``day`` (before it is made); returns the day's count."""
    with redis.pipeline() as pipe:
        pipe.incr(_key(phone, day))
        pipe.expire(_key(phone, day), _KEPT_FOR)
        count, _ = pipe.execute()
    return int(count)


def over_limit(count: int) -> bool:
    return count > LOOKUPS_PER_DAY
