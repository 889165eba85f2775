"""Per-screen counters (views, invalid inputs, drop-offs, timeouts) for monitoring.

Counters live in Redis hashes per day, keyed by screen id only: no phone number is stored.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis
from redis.client import Pipeline

EVENTS = ("views", "invalid", "dropoffs", "timeouts")


class ScreenAnalytics:
    def __init__(self, redis: Redis, retention_days: int = 35) -> None:
        self.redis = redis
        self.retention = retention_days * 24 * 3600

    @staticmethod
    def _key(day: dt.date) -> str:
        return f"ussd:analytics:{day.isoformat()}"

    def count(self, events: list[tuple[str, str]], pipe: Pipeline | None = None) -> None:
        """Add (screen, event) counts, on the caller's pipeline when given (one round trip)."""
        if not events:
            return
        own = pipe is None
        pipe = self.redis.pipeline(transaction=False) if own else pipe
        key = self._key(dt.date.today())
        for screen, event in events:
            pipe.hincrby(key, f"{screen}:{event}", 1)
        pipe.expire(key, self.retention)
        if own:
            pipe.execute()

    def day(self, day: dt.date) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for field, value in self.redis.hgetall(self._key(day)).items():
            screen, event = field.decode().rsplit(":", 1)
            counts.setdefault(screen, dict.fromkeys(EVENTS, 0))[event] = int(value)
        return counts
