"""Run a folder's tests both ways: on the fast path and with SAHAYATA_FAST_PATH=0.

A module or conftest that imports ``app_both_ways`` gets its ``app`` fixture parametrized:
every test there runs once on the suite's app (library bypasses on) and once on an app of
the same database and Redis with the plain libraries, so the switch back is known to work.
"""

from __future__ import annotations

import pytest

from sahayata.app import create_app

FAST, PLAIN = "fast path", "plain libraries"
_plain_apps: dict[tuple[str, str | None], object] = {}


@pytest.fixture(scope="session", params=[FAST, PLAIN], name="app")
def app_both_ways(request, app, database_url, redis_url):
    if request.param == FAST:
        return app
    key = (database_url, redis_url)
    if key not in _plain_apps:  # one per run, however many folders ask
        overrides = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True}
        _plain_apps[key] = create_app({**overrides, "SAHAYATA_FAST_PATH": False})
    return _plain_apps[key]


def _plain_env(app) -> dict[str, str]:
    return {} if app.config["SAHAYATA_FAST_PATH"] else {"SAHAYATA_FAST_PATH": "0"}


@pytest.fixture(scope="session", name="production_app")
def production_app_both_ways(app, database_url, redis_url):
    """The production app, on the same path as this run's ``app``."""
    from tests.conftest import _production_app

    return _production_app(database_url, redis_url, **_plain_env(app))


@pytest.fixture(name="make_production_app")
def make_production_app_both_ways(app, database_url, redis_url):
    from tests.conftest import _production_app

    return lambda **env: _production_app(database_url, redis_url, **{**_plain_env(app), **env})
