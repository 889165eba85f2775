def test_unknown_url_is_a_json_404_in_bangla_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.get_json() == {"error": "পাওয়া যায়নি।"}


def test_english_on_request(client):
    assert client.get("/no-such-page?lang=en").get_json() == {"error": "Not found."}


def test_wrong_method_is_405_not_500(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_a_database_connection_lost_mid_request_is_503_to_retry_and_the_retry_is_served(database_url, redis_url):
    """A pooled connection used a moment ago is not pinged (foundation/db.py): if it died
    meanwhile, that request says "try again" rather than "something went wrong"."""
    import pytest
    from sqlalchemy import text

    from foundation.db import db_session
    from sahayata.app import create_app
    from tests.foundation.test_db import _terminate_every_backend

    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no server to restart (CI's PostgreSQL pass runs this)")
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})

    @app.get("/test-only/database")
    def _uses_the_database():
        return {"answer": db_session().execute(text("SELECT 1")).scalar()}

    client = app.test_client()
    assert client.get("/test-only/database").status_code == 200
    _terminate_every_backend(database_url)
    lost = client.get("/test-only/database?lang=en")
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
    assert lost.get_json() == {"error": "Service unavailable. Please try again later."}
    assert client.get("/test-only/database").get_json() == {"answer": 1}


def test_an_api_with_its_own_format_gets_the_url_maps_refusals_under_its_prefix_only(client):
    under = client.get("/api/v1/imports/citizens?lang=en")
    assert under.status_code == 405 and under.get_json()["error"] == "method_not_allowed"
    assert client.post("/api/v1/imports/a/b").get_json()["error"] == "unknown_kind"
    # A path that only starts with the same letters is the app's.
    beside = client.get("/api/v1/importsx?lang=en")
    assert beside.status_code == 404 and beside.get_json() == {"error": "Not found."}
