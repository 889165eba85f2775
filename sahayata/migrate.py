"""Schema migrations through Alembic, driven from the app's DATABASE_URL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from foundation.config import PROJECT_ROOT
from foundation.db import database


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser treats % as interpolation; URLs may contain %-escapes.
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


def _run(app: Flask, operation, revision: str) -> None:
    config = alembic_config(app)
    with database(app).engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations rebuild a table by copy-and-drop; with foreign keys enforced
            # SQLite refuses to drop a table that other rows refer to. The pragma only takes
            # effect outside a transaction, hence before anything else on this connection.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            operation(config, revision)
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def upgrade(app: Flask, revision: str = "head") -> None:
    _run(app, command.upgrade, revision)


def downgrade(app: Flask, revision: str) -> None:
    _run(app, command.downgrade, revision)
