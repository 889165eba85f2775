"""bdapps: acknowledge at once, then post the screen to the platform (played here by a
local HTTP server). ASCII-only: the Bangla experience is romanized, never Bengali script."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from foundation.i18n import translate
from tests.helpers import drain


class Platform:
    """Records what the app sends to the bdapps send URL."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                platform.received.append(json.loads(self.rfile.read(length)))
                body = b'{"statusCode":"S1000","statusDetail":"Success"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ussd/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def platform(app):
    platform = Platform()
    previous = app.config["BDAPPS_USSD_SEND_URL"]
    app.config.update(BDAPPS_USSD_SEND_URL=platform.url, BDAPPS_APP_ID="APP_123", BDAPPS_APP_PASSWORD="pw")
    yield platform
    app.config["BDAPPS_USSD_SEND_URL"] = previous
    platform.server.shutdown()


def mo(client, app, operation, message, request_id, session="bd-1", address="tel:8801712000001"):
    response = client.post(
        "/ussd/bdapps",
        json={
            "message": message,
            "ussdOperation": operation,
            "sessionId": session,
            "sourceAddress": address,
            "applicationId": "APP_123",
            "encoding": "440",
            "requestId": request_id,
            "version": "1.0",
        },
    )
    drain(app)  # with real Redis the screen is sent by an RQ job: run the queue once here
    return response


def test_acknowledges_then_posts_the_screen_in_romanized_bangla(client, app, caller, platform):
    response = mo(client, app, "mo-init", "*123#", "r1")
    assert response.get_json() == {"statusCode": "S1000", "statusDetail": "Success"}
    [sent] = platform.received
    assert sent["applicationId"] == "APP_123" and sent["password"] == "pw"
    assert sent["destinationAddress"] == "tel:8801712000001" and sent["sessionId"] == "bd-1"
    assert sent["ussdOperation"] == "mt-cont"
    assert sent["message"].startswith("Sohayota\n1 Ami ki joggo?")
    assert sent["message"].isascii()


def test_last_screen_is_sent_as_mt_fin(client, app, caller, platform):
    mo(client, app, "mo-init", "*123#", "r1")
    for number, key in enumerate(("9", "9", "9"), start=2):
        mo(client, app, "mo-cont", key, f"r{number}")
    assert platform.received[-1]["ussdOperation"] == "mt-fin"
    assert platform.received[-1]["message"] == "Onekbar bhul hoyeche. Abar dial korun."


def test_every_screen_of_a_journey_is_ascii(client, app, caller, platform):
    mo(client, app, "mo-init", "*123#", "r1")
    for number, key in enumerate(("2", "98", "98", "00", "3", "00", "1", "98"), start=2):
        mo(client, app, "mo-cont", key, f"r{number}")
    assert len(platform.received) == 9
    assert all(screen["message"].isascii() for screen in platform.received)


def test_repeated_request_id_sends_the_same_screen_without_advancing(client, app, caller, platform):
    mo(client, app, "mo-init", "*123#", "r1")
    mo(client, app, "mo-cont", "1", "r2")
    mo(client, app, "mo-cont", "1", "r2")
    assert platform.received[1]["message"] == platform.received[2]["message"]
    assert platform.received[2]["message"].startswith(translate("bn_Latn", "Eligibility: choose"))


def test_malformed_requests_get_400(client, app, caller, platform):
    assert client.post("/ussd/bdapps", data="x").status_code == 400
    assert mo(client, app, "mo-bogus", "1", "r1").status_code == 400
    assert mo(client, app, "mo-init", "1", "r1", address="tel:123").status_code == 400
    assert platform.received == []


def test_a_failed_screen_job_keeps_the_callers_number_a_day_at_most(client, app, caller):
    from rq.job import Job

    from foundation.jobs import PERSONAL_DATA_TTL, redis_connection

    previous = app.config["BDAPPS_USSD_SEND_URL"]
    app.config["BDAPPS_USSD_SEND_URL"] = "http://127.0.0.1:9/nobody-listens"
    try:
        assert mo(client, app, "mo-init", "*123#", "r-ttl", session="bd-ttl").status_code == 200
    finally:
        app.config["BDAPPS_USSD_SEND_URL"] = previous
    redis = redis_connection(app)
    jobs = [Job.fetch(key.decode().removeprefix("rq:job:"), connection=redis) for key in redis.keys("rq:job:*")]
    screens = [job for job in jobs if job.func_name.endswith("send_screen")]
    assert screens
    for job in screens:
        assert job.failure_ttl == PERSONAL_DATA_TTL
        assert redis.ttl(job.key) <= PERSONAL_DATA_TTL  # never the year RQ keeps by default
