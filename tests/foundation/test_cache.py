"""The per-process cache: values kept for their lifetime, expired ones dropped, never more than a bound."""

import pytest

from foundation import cache
from foundation.cache import BoundedCache, cached


def loader(value, calls):
    def load():
        calls.append(value)
        return value

    return load


def test_a_value_is_loaded_once_while_fresh_and_again_once_expired():
    store, calls = BoundedCache(4), []
    assert store.get("k", loader(1, calls), lifetime=10, now=0) == 1
    assert store.get("k", loader(2, calls), lifetime=10, now=10) == 1
    assert store.get("k", loader(3, calls), lifetime=10, now=10.5) == 3
    assert calls == [1, 3]


def test_expired_entries_are_dropped_when_another_is_loaded():
    store = BoundedCache(100)
    for n in range(10):
        store.get(n, lambda: "old", lifetime=1, now=0)
    store.get("new", lambda: "value", lifetime=60, now=5)
    assert len(store) == 1 and "new" in store


def test_past_the_bound_the_least_recently_used_entry_goes():
    store = BoundedCache(3)
    for key in "abc":
        store.get(key, lambda key=key: key, lifetime=60, now=0)
    store.get("a", lambda: "reloaded", lifetime=60, now=1)  # a hit: "a" is now the most recent
    store.get("d", lambda: "d", lifetime=60, now=2)
    assert len(store) == 3 and "b" not in store and all(key in store for key in "acd")


def test_a_cache_needs_room():
    with pytest.raises(ValueError):
        BoundedCache(0)


def test_the_apps_cache_stays_within_its_bound(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "SAHAYATA_CACHE_MAX_ENTRIES", 8)
    cache.clear()
    for n in range(100):  # e.g. a key per requested scope, or per day
        cached(("many", n), lambda n=n: n, seconds=600)
    assert len(app.extensions["sahayata.cache"]) == 8
    assert cached(("many", 99), lambda: "reloaded", seconds=600) == 99
    cache.clear()


def test_the_default_bound(app, app_context):
    cache.clear()
    cached("one", lambda: 1)
    assert app.extensions["sahayata.cache"].max_entries == cache.DEFAULT_MAX_ENTRIES
