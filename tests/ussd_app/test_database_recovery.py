"""A database restart kills the pooled connections: the next hop reconnects by itself.

The hot USSD pool skips the pre-ping round trip (foundation/db.py), so a dead connection is
found by the hop's own statement; the engine then runs the hop once more on a new one.
"""

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sahayata.app import create_app


def _terminate_every_backend(database_url: str) -> None:
    """What a server restart does to a pool: every backend of this database goes away."""
    admin = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_hop_after_the_database_dropped_its_connections_answers_normally(database_url, redis_url, caller, caplog):
    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no server to restart (CI's second pass runs this)")
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    client = app.test_client()

    def dial(session_id: str) -> str:
        data = {"sessionId": session_id, "phoneNumber": caller.mobile, "text": ""}
        return client.post("/ussd/africastalking", data=data).get_data(as_text=True)

    assert dial("db1").startswith("CON সহায়তা")  # the pool now holds a live connection
    _terminate_every_backend(database_url)

    assert dial("db2").startswith("CON সহায়তা")
    assert "lost its database connection; retrying" in caplog.text
    assert dial("db3").startswith("CON সহায়তা")
