"""Per-screen counters (views, invalid inputs, drop-offs, timeouts) for monitoring.

Counters live in Redis hashes per day, keyed by screen id only: no phone number is stored.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis

EVENTS = ("views", "invalid", "dropoffs", "timeouts")


class ScreenAnalytics:
    def __init__(self, redis: Redis, retention_days: int = 35) -> None:
        self.redis = redis
        self.retention = retention_days * 24 * 3600

    @staticmethod
    def _key(day: dt.date) -> str:
        return f"ussd:analytics:{day.isoformat()}"

    def _count(self, screen: str, event: str) -> None:
        key = self._key(dt.date.today())
        with self.redis.pipeline() as pipe:
            pipe.hincrby(key, f"{screen}:{event}", 1)
            pipe.expire(key, self.retention)
            pipe.execute()

    def viewed(self, screen: str) -> None:
        self._count(screen, "views")

    def invalid(self, screen: str) -> None:
        self._count(screen, "invalid")

    def dropped(self, screen: str, timed_out: bool) -> None:
        self._count(screen, "timeouts" if timed_out else "dropoffs")

    def day(self, day: dt.date) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for field, value in self.redis.hgetall(self._key(day)).items():
            screen, event = field.decode().rsplit(":", 1)
            counts.setdefault(screen, dict.fromkeys(EVENTS, 0))[event] = int(value)
        return counts
