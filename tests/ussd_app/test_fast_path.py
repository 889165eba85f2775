"""SAHAYATA_FAST_PATH decides whether a hop takes the library bypasses: with it on, the Redis
link, HotSelect's cursor and the small-form parser serve the hop; with it off, none of them
runs and the caller sees the same screens."""

from __future__ import annotations

import pytest

from foundation.hot_select import HotSelect
from foundation.redis_link import ClientLink, RedisLink
from ussd_app.gateways import common


@pytest.fixture
def bypasses_used(monkeypatch):
    """The names of the bypasses (and of their plain stand-ins) that served a hop."""
    used: set[str] = set()

    def recording(name, original):
        def wrapper(*args, **kwargs):
            used.add(name)
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(RedisLink, "read", recording("redis link", RedisLink.read))
    monkeypatch.setattr(RedisLink, "round_trip", recording("redis link", RedisLink.round_trip))
    monkeypatch.setattr(HotSelect, "_on_cursor", recording("hot select cursor", HotSelect._on_cursor))
    monkeypatch.setattr(common, "form_fields", recording("small form", common.form_fields))
    monkeypatch.setattr(ClientLink, "round_trip", recording("redis client", ClientLink.round_trip))
    monkeypatch.setattr(
        HotSelect, "_through_sqlalchemy", recording("sqlalchemy execute", HotSelect._through_sqlalchemy)
    )
    return used


def test_the_switch_decides_whether_a_hop_takes_the_bypasses(app, phone, bypasses_used):
    phone.dial()
    payment = phone.press("2")  # "My payments": the caller's payments, through HotSelect
    assert payment.startswith("CON বয়স্ক ভাতা")
    if app.config["SAHAYATA_FAST_PATH"]:
        assert bypasses_used == {"redis link", "hot select cursor", "small form"}
    else:
        assert bypasses_used == {"redis client", "sqlalchemy execute"}
