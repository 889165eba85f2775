"""Sessions only for requests that carry the cookie, and unchanged for those that do."""

from flask import Flask, Response, session

from sahayata.sessions import SessionOnlyWhenSent


def _app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    app.session_interface = SessionOnlyWhenSent()

    @app.post("/remember")
    def remember():
        session["name"] = "Rahima"
        return "ok"

    @app.get("/recall")
    def recall():
        return session.get("name", "nobody")

    @app.post("/hop")
    def hop():
        return "CON menu"

    return app


def test_a_request_that_writes_the_session_gets_the_cookie_and_the_next_request_reads_it():
    client = _app().test_client()
    response = client.post("/remember")
    assert "session=" in response.headers["Set-Cookie"]
    assert client.get("/recall").get_data(as_text=True) == "Rahima"


def test_a_request_without_the_cookie_that_never_uses_the_session_sets_no_cookie():
    response = _app().test_client().post("/hop")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_reading_an_empty_session_still_varies_on_cookie_as_flask_does():
    response = _app().test_client().get("/recall")
    assert response.get_data(as_text=True) == "nobody"
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.headers["Vary"]


def test_reading_an_empty_session_adds_cookie_to_a_vary_header_already_set():
    app = _app()

    @app.get("/negotiated")
    def negotiated():
        response = Response(session.get("name", "nobody"))
        response.headers["Vary"] = "Accept-Language"
        return response

    response = app.test_client().get("/negotiated")
    assert response.headers.getlist("Vary") == ["Accept-Language, Cookie"]


def test_a_ussd_hop_of_the_service_sets_no_cookie(client):
    response = client.post("/ussd/africastalking", data={"sessionId": "c1", "phoneNumber": "+8801712000009"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
