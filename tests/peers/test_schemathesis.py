"""schemathesis against a live, production-mode server: on every operation of openapi.yaml,
no 5xx, and every response as the document says (status code, content type, headers, body).

The server is gunicorn on wsgi:app, started with SECRET_KEY (a production start) and the
gateways' secrets, over a scratch database of the suite's kind (SQLite embedded, PostgreSQL
in the PG pass) holding an outlet and a beneficiary, and the suite's Redis when there is one. Each
request is signed as its real caller signs it (gateway key, Twilio signature, Kannel key,
delivery-report signature, an outlet's bearer token) so that the fuzzer reaches the views
behind the checks, not only the 403.

Bounded: at most MAX_EXAMPLES cases per operation, no per-case deadline (a shared CI
machine is slow at times; the bound is the count).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from redis import Redis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from foundation.config import PROJECT_ROOT
from foundation.db import database, db_session
from import_api.tokens import issue as issue_api_token
from outbound_sms.providers.kannel import dlr_signature
from registry.outlets import issue_token
from sahayata.app import create_app
from sahayata.openapi import CONTRACT
from tests.redemption_support import beneficiary, make_outlet

MAX_EXAMPLES = 100
PORTS = range(18100, 18200)  # this test's own loopback ports
SECRET_KEY = "fuzz-production-key-" + "k" * 32
PHONE_HASH_KEY = "fuzz-phone-hash-key-" + "h" * 32
GATEWAY_SECRET = "fuzz-gateway-secret"
KANNEL_KEY = "fuzz-kannel-key"
TWILIO_TOKEN = "fuzz-twilio-token"
EXAMPLE_BENEFICIARY = "+8801400007920"  # openapi.yaml's example start of a redemption

# One worker as `make run` starts it (the embedded Redis is per process); threads as a web node has.
GUNICORN_OPTIONS = ["--workers", "1", "--threads", "4", "--access-logfile", "-"]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(
    CONTRACT,
    config=schemathesis.Config.from_dict({"generation": {"max-examples": MAX_EXAMPLES}}),
)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(context, value) -> bytes | None:
    """The import API's JSON lines: the generated document (a string) as it is. text/csv
    needs nothing: schemathesis sends any text/* as text."""
    return None if value is None else str(value).encode("utf-8")


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def _admin_dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def fuzz_database(tmp_path_factory) -> Iterator[str]:
    """A database of its own, so the fuzzer's complaints and sessions stay out of the suite's."""
    configured = os.environ.get("DATABASE_URL")
    if not configured or configured.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        return
    url = make_url(configured)
    name = f"sahayata_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def outlet_token(fuzz_database) -> str:
    """The scratch database migrated, an outlet with a bearer token, and the beneficiary the
    document's example names, with rice to redeem there (so that a start can succeed)."""
    seeder = create_app(
        {"DATABASE_URL": fuzz_database, "REDIS_URL": None},
        env={"SAHAYATA_ENV": "development", "SAHAYATA_CONFIRM_SHARE": "0"},
    )
    result = seeder.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with seeder.app_context():
        session = db_session()
        outlet = make_outlet(session, programmes=("FFP",))
        beneficiary(session, balance="30", mobile=EXAMPLE_BENEFICIARY)
        token = issue_token(session, outlet.code)
        session.commit()
        # The import API's token, for a ministry that leads programmes, allowed citizens too.
        _, IMPORT_TOKEN["value"] = issue_api_token(session, "MOSW", citizens=True)
    database(seeder).engine.dispose()
    assert token
    return token


IMPORT_TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_redis_url() -> Iterator[str | None]:
    """The suite's Redis database in the PG+Redis pass (emptied after), else the embedded one."""
    configured = os.environ.get("REDIS_URL")
    if not configured:
        yield None
        return
    test_db = int(os.environ.get("SAHAYATA_TEST_REDIS_DB", "15"))
    url = urlsplit(configured)._replace(path=f"/{test_db}").geturl()
    yield url
    Redis.from_url(url).flushdb()  # the jobs the hops queued (no worker runs in this test)


class _Platform(BaseHTTPRequestHandler):
    """bdapps' send URL and Kannel's sendsms, as far as the app needs them: accepted."""

    received: ClassVar[list[str]] = []

    def _accept(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append(urlsplit(self.path).path)
        if self.path.startswith("/cgi-bin/sendsms"):
            body, status, kind = b"0: Accepted for delivery", 202, "text/plain"
        else:
            body, status, kind = b'{"statusCode": "S1000", "statusDetail": "Success"}', 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _accept

    def log_message(self, format: str, *args) -> None:  # the requests carry phone numbers
        pass


@pytest.fixture(scope="module")
def platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), _Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(fuzz_database, outlet_token, fuzz_redis_url, platform, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SAHAYATA_ENV", "SECRET_KEY")
    }
    env.update(
        DATABASE_URL=fuzz_database,
        SECRET_KEY=SECRET_KEY,
        SAHAYATA_PHONE_HASH_KEY=PHONE_HASH_KEY,
        SAHAYATA_CONFIRM_SHARE="0",
        USSD_AFRICASTALKING_SECRET=GATEWAY_SECRET,
        USSD_HUBTEL_SECRET=GATEWAY_SECRET,
        USSD_BDAPPS_SECRET=GATEWAY_SECRET,
        KANNEL_INBOUND_KEY=KANNEL_KEY,
        KANNEL_SENDSMS_URL=f"{platform}/cgi-bin/sendsms",
        KANNEL_DLR_BASE_URL=base,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_PUBLIC_BASE_URL=base,
        BDAPPS_USSD_SEND_URL=f"{platform}/ussd/send",
    )
    if fuzz_redis_url:
        env["REDIS_URL"] = fuzz_redis_url
    log = tmp_path_factory.mktemp("fuzz-server") / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN_OPTIONS, "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, server, log)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
    assert not errors, f"the server logged tracebacks: see {log}"


def _wait_until_up(base: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:  # the socket is bound before the worker has built the app: a first request may wait
            if requests.get(base + "/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    pytest.fail("the server did not answer /healthz within 60 s")


class SignedAsTheirCallers(requests.Session):
    """Each request carries what its real caller would add, computed over the request as
    finally sent: the generated values of these fields are replaced, nothing else."""

    def __init__(self, outlet_token: str) -> None:
        super().__init__()
        self.outlet_token = outlet_token

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = parts.path
        if path.startswith("/ussd/"):
            request.headers["X-Sahayata-Key"] = GATEWAY_SECRET
        elif path.startswith("/sms/twilio/"):
            request.headers["X-Twilio-Signature"] = self._twilio_signature(request, parts)
        elif path == "/sms/kannel/inbound":
            request.url = _with_query(parts, key=KANNEL_KEY)
        elif path == "/sms/kannel/dlr":
            reference = dict(parse_qsl(parts.query)).get("ref", "")
            request.url = _with_query(parts, sig=dlr_signature(SECRET_KEY, reference))
        elif path.startswith("/api/outlets/"):
            request.headers["Authorization"] = f"Bearer {self.outlet_token}"
        elif path.startswith("/api/v1/imports/"):
            request.headers["Authorization"] = f"Bearer {IMPORT_TOKEN['value']}"
        return super().send(request, **kwargs)

    @staticmethod
    def _twilio_signature(request: requests.PreparedRequest, parts) -> str:
        """Over the public URL and the form as the app reads it (first value of each field)."""
        form: dict[str, str] = {}
        body = request.body or b""
        if "application/x-www-form-urlencoded" in request.headers.get("Content-Type", ""):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            for name, value in parse_qsl(text, keep_blank_values=True):
                form.setdefault(name, value)
        url = urlunsplit(("http", parts.netloc, parts.path, parts.query, ""))
        return RequestValidator(TWILIO_TOKEN).compute_signature(url, form)


def _with_query(parts, **fields: str) -> str:
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in fields]
    query += list(fields.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture(scope="module")
def signed(outlet_token) -> Iterator[requests.Session]:
    with SignedAsTheirCallers(outlet_token) as session:
        yield session


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_no_5xx_and_every_response_as_documented(case, live_server, signed):
    case.call_and_validate(base_url=live_server, session=signed, checks=CHECKS, timeout=30)
