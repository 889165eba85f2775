"""Per-screen USSD counters (views, invalid inputs, drop-offs, timeouts) for monitoring.

The counters live in one Redis hash per day, keyed by screen id only: no phone number is
stored. The USSD channel adds to them (``commands``, written with the hop's own save) and
the staff dashboard reads them (``day``); both go through this module, so neither channel
needs the other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from redis import Redis

EVENTS = ("views", "invalid", "dropoffs", "timeouts")
RETENTION_DAYS = 35

Command = tuple[Any, ...]


def key(day: dt.date) -> str:
    return f"ussd:analytics:{day.isoformat()}"


def commands(events: list[tuple[str, str]], today: dt.date, retention_days: int = RETENTION_DAYS) -> list[Command]:
    """The Redis commands that add one to each (screen, event), for a write the caller makes anyway."""
    if not events:
        return []
    day_key = key(today)
    counts: list[Command] = [("HINCRBY", day_key, f"{screen}:{event}", 1) for screen, event in events]
    return [*counts, ("EXPIRE", day_key, retention_days * 24 * 3600)]


def day(redis: Redis, on: dt.date) -> dict[str, dict[str, int]]:
    """One day's counts by screen: {"main": {"views": 12, "invalid": 1, ...}, ...}."""
    counts: dict[str, dict[str, int]] = {}
    for field, value in redis.hgetall(key(on)).items():
        screen, event = field.decode().rsplit(":", 1)
        counts.setdefault(screen, dict.fromkeys(EVENTS, 0))[event] = int(value)
    return counts
