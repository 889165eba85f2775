"""A small per-process cache for reference data read on hot paths (rules, holidays).

Reference data changes a few times a year; reading it on every USSD hop or routing job
costs a query each time. Entries live SAHAYATA_RULES_CACHE_SECONDS (default 300), so a change
reaches every process within minutes; `db upgrade` clears this process's cache at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")


def cached(key: Any, load: Callable[[], T], seconds: float | None = None) -> T:
    """``load()``'s value, kept ``seconds`` (default SAHAYATA_RULES_CACHE_SECONDS)."""
    store: dict[Any, tuple[float, Any]] = current_app.extensions.setdefault("sahayata.cache", {})
    now = time.monotonic()
    entry = store.get(key)
    if entry is None or entry[0] < now:
        lifetime = current_app.config["SAHAYATA_RULES_CACHE_SECONDS"] if seconds is None else seconds
        entry = (now + lifetime, load())
        store[key] = entry
    return entry[1]


def clear() -> None:
    current_app.extensions.pop("sahayata.cache", None)
