"""Per-screen counters (views, invalid inputs, drop-offs, timeouts) for monitoring.

Counters live in Redis hashes per day, keyed by screen id only: no phone number is stored.
"""

from __future__ import annotations

import datetime as dt

from redis import Redis

from ussd_app.redis_link import Command

EVENTS = ("views", "invalid", "dropoffs", "timeouts")


class ScreenAnalytics:
    def __init__(self, redis: Redis, retention_days: int = 35) -> None:
        self.redis = redis
        self.retention = retention_days * 24 * 3600

    @staticmethod
    def _key(day: dt.date) -> str:
        return f"ussd:analytics:{day.isoformat()}"

    def count(self, events: list[tuple[str, str]]) -> None:
        """Add (screen, event) counts now."""
        if events:
            with self.redis.pipeline(transaction=False) as pipe:
                for command in self.commands(events):
                    pipe.execute_command(*command)
                pipe.execute()

    def commands(self, events: list[tuple[str, str]]) -> list[Command]:
        """The writes that add these counts, for a round trip the caller is making anyway."""
        if not events:
            return []
        key = self._key(dt.date.today())
        counts = [("HINCRBY", key, f"{screen}:{event}", 1) for screen, event in events]
        return [*counts, ("EXPIRE", key, self.retention)]

    def day(self, day: dt.date) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for field, value in self.redis.hgetall(self._key(day)).items():
            screen, event = field.decode().rsplit(":", 1)
            counts.setdefault(screen, dict.fromkeys(EVENTS, 0))[event] = int(value)
        return counts
