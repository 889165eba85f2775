"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from sahayata import db, errors, i18n, jobs
from sahayata.config import DEV_SECRET_KEY, settings_from_env
from sahayata.sessions import SessionOnlyWhenSent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("sahayata")
    app.session_interface = SessionOnlyWhenSent()
    app.config.update(settings_from_env())
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.config["DATABASE_URL"].startswith("sqlite"):
        logging.getLogger(__name__).warning("SECRET_KEY is the development default: set it before going live")

    import grievance.models  # noqa: F401  (every table on Base.metadata, for migrations and checks)
    import registry.models  # noqa: F401
    import sms.models  # noqa: F401
    import staff.models

    db.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)

    from sahayata.health import bp as health_bp

    app.register_blueprint(health_bp)

    import ussd_app
    from sms.gateways import bp as sms_bp

    ussd_app.init_app(app)
    app.register_blueprint(sms_bp)

    import staff

    staff.init_app(app)

    from sahayata.cli import register_commands

    register_commands(app)
    return app
