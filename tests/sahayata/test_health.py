from sahayata.app import create_app


def test_healthz_is_200_when_database_and_redis_answer(client, redis_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert body["redis_mode"] == ("server" if redis_url else "embedded")


def test_healthz_is_503_naming_the_database_when_it_is_down(database_url):
    app = create_app(
        {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", "REDIS_URL": None}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down: database"
    assert body["checks"]["database"].startswith("down") and body["checks"]["redis"] == "ok"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details leak


def test_healthz_is_503_naming_redis_when_it_is_down(database_url):
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down: redis"


def test_healthz_right_after_the_database_dropped_its_connections_says_ok(database_url, redis_url):
    """The restart is over: the check's pooled connection died with it, the next one answers."""
    import pytest

    from sahayata.app import create_app
    from tests.foundation.test_db import _terminate_every_backend

    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no server to restart (CI's PostgreSQL pass runs this)")
    client = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url}).test_client()
    assert client.get("/healthz").status_code == 200
    _terminate_every_backend(database_url)
    answer = client.get("/healthz")
    assert answer.status_code == 200, answer.get_json()
