"""Migration fixtures: an empty database of the suite's kind, to migrate step by step."""

import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sahayata.app import create_app
from sahayata.db import database


@pytest.fixture
def scratch_app(database_url, tmp_path):
    """A second, empty database of the same kind as the suite's (SQLite or PostgreSQL)."""
    if database_url.startswith("sqlite"):
        yield create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.db'}", "REDIS_URL": None})
        return
    url = make_url(database_url)
    name = f"sahayata_scratch_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"DATABASE_URL": url.set(database=name).render_as_string(hide_password=False), "REDIS_URL": None})
    yield app
    database(app).engine.dispose()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
