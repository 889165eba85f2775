"""What every benchmark needs first: a scratch PostgreSQL database, dropped afterwards, and
the app on it with the schema and reference data."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# A benchmark's scratch database and open gateways are a developer's start on this machine
# (a start with PostgreSQL and no SECRET_KEY is otherwise refused); the servers and workers
# it spawns inherit this.
os.environ.setdefault("SAHAYATA_ENV", "development")


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """A new database on DATABASE_URL's server (PostgreSQL); yields its URL, drops it after."""
    base = make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if base.get_backend_name() != "postgresql":
        sys.exit("the benchmarks need DATABASE_URL on PostgreSQL")
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"sahayata_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ready_app(database_url: str, redis_url: str | None, **settings: object) -> Flask:
    """The app on ``database_url``, migrated, with the registry and grievance reference data."""
    from foundation.db import db_session
    from grievance.reference_data import sync_grievance_reference_data
    from registry.reference_data import sync_reference_data
    from sahayata import migrate
    from sahayata.app import create_app

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, **settings})
    migrate.upgrade(app)
    with app.app_context():
        session = db_session()
        sync_reference_data(session)
        sync_grievance_reference_data(session)
        session.commit()
    return app
