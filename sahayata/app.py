"""The Flask application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from foundation import db, headers, i18n, jobs, logs, metrics, privacy
from foundation.config import is_production, refuse_unsafe_start, settings_from_env
from sahayata import compression, errors, proxies
from sahayata.sessions import SessionOnlyWhenSent


def create_app(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Flask:
    """The app for ``env`` (default: the process environment) with ``overrides`` on top.

    Raises ``foundation.config.UnsafeStart`` where the settings would start an unsafe
    deployment (wsgi.py turns that into a one-line exit).
    """
    env = os.environ if env is None else env
    app = Flask("sahayata")
    app.session_interface = SessionOnlyWhenSent()
    app.config.update(settings_from_env(env))
    app.config.update(metrics.settings_from_env(env, production=is_production(app.config)))
    if overrides:
        app.config.update(overrides)
    refuse_unsafe_start(app.config, env)
    logs.configure(logs.log_format(env))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.extensions["sahayata.env"] = env
    logs.init_app(app)  # first: the other hooks' logs carry the request id
    proxies.init_app(app)

    import grievance.models  # noqa: F401  (every table on Base.metadata, for migrations and checks)
    import notices.models  # noqa: F401
    import outbound_sms.models  # noqa: F401
    import registry.models  # noqa: F401
    import staff.models

    db.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    # Before the blueprints add their own after-request hooks, so that it runs after them
    # (Flask runs them last-registered first) and compresses the response as finally sent.
    compression.init_app(app)
    headers.init_app(app)
    privacy.init_app(app)

    from sahayata.wiring import wire

    wire(app)

    from sahayata.health import bp as health_bp

    app.register_blueprint(health_bp)

    from sahayata import openapi

    openapi.init_app(app)

    from sahayata import metrics_endpoint

    metrics_endpoint.init_app(app)

    import ussd_app
    from sms.gateways import bp as sms_bp

    ussd_app.init_app(app)
    app.register_blueprint(sms_bp)

    import outlet_api

    outlet_api.init_app(app)

    import import_api

    import_api.init_app(app)

    import staff

    staff.init_app(app)

    from sahayata.home import bp as home_bp

    app.register_blueprint(home_bp)

    from sahayata.cli import register_commands

    register_commands(app)
    return app
