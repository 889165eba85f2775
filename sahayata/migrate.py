"""Schema migrations through Alembic, driven from the app's DATABASE_URL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from sahayata.config import PROJECT_ROOT
from sahayata.db import database


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser treats % as interpolation; URLs may contain %-escapes.
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    config = alembic_config(app)
    with database(app).engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(app: Flask, revision: str) -> None:
    config = alembic_config(app)
    with database(app).engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
