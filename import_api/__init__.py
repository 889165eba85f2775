"""The import API ministry systems call: ``POST /api/v1/imports/<kind>`` with the same CSV
(or JSON lines) as `flask --app wsgi registry import`, through the same runner.

A system authenticates with the bearer token `flask --app wsgi api token --ministry CODE`
printed for it; with no token issued the API is closed. A token writes only its
ministry's programmes, and citizens only if issued with ``--citizens``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from import_api import models  # noqa: F401  (its tables on Base.metadata)
    from import_api.settings import IMPORT_MAX_BYTES, import_max_bytes
    from import_api.views import bp

    # An override given to create_app (a test's) stands; otherwise the environment's.
    app.config.setdefault(IMPORT_MAX_BYTES, import_max_bytes(app.extensions["sahayata.env"]))
    app.register_blueprint(bp)
