"""A small per-process cache for reference data read on hot paths (rules, holidays).

Reference data changes a few times a year; reading it on every USSD hop or routing job
costs a query each time. Entries live SAHAYATA_RULES_CACHE_SECONDS (default 300), so a change
reaches every process within minutes; `db upgrade` clears this process's cache at once.

The cache is bounded: some keys come from requests (a dashboard's scope) or from the
calendar (routing rules per day), so an unbounded store would grow for as long as the
process lives. Expired entries are dropped whenever a value is loaded, and past
SAHAYATA_CACHE_MAX_ENTRIES (default 512) the least recently used entry goes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")

EXTENSION_KEY = "sahayata.cache"
DEFAULT_MAX_ENTRIES = 512


class BoundedCache:
    """Values with an expiry time, at most ``max_entries`` of them, least recently used out first."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("a cache needs room for at least one entry")
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        # Web servers run requests in threads; OrderedDict's reordering is not atomic.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Any) -> bool:
        return key in self._entries

    def get(self, key: Any, load: Callable[[], T], lifetime: float, now: float | None = None) -> T:
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] >= now:
                self._entries.move_to_end(key)
                return entry[1]
        # Loading may query the database: never while holding the lock. Two threads may
        # load the same key at once; both values are equally fresh and the last one stays.
        value = load()
        with self._lock:
            self._entries[key] = (now + lifetime, value)
            self._entries.move_to_end(key)
            self._drop_expired(now)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def _drop_expired(self, now: float) -> None:
        for key in [key for key, (expires, _value) in self._entries.items() if expires < now]:
            del self._entries[key]


def _store() -> BoundedCache:
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        limit = int(current_app.config.get("SAHAYATA_CACHE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES))
        store = current_app.extensions.setdefault(EXTENSION_KEY, BoundedCache(limit))
    return store


def cached(key: Any, load: Callable[[], T], seconds: float | None = None) -> T:
    """``load()``'s value, kept ``seconds`` (default SAHAYATA_RULES_CACHE_SECONDS)."""
    lifetime = current_app.config["SAHAYATA_RULES_CACHE_SECONDS"] if seconds is None else seconds
    return _store().get(key, load, lifetime)


def clear() -> None:
    current_app.extensions.pop(EXTENSION_KEY, None)
