"""Time in UTC: every timestamp is stored in UTC (SQLite keeps no time zone)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive UTC, PostgreSQL aware)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
