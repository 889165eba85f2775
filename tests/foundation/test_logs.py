"""foundation/logs.py: JSON lines, request ids, and no full phone number or NID in a line."""

import datetime as dt
import json
import logging
import re
import sys

import pytest

from foundation import logs
from foundation.config import UnsafeStart
from sahayata.app import create_app


def record(message: str, *args, name: str = "sahayata.test", level: int = logging.INFO, **attributes):
    made = logging.LogRecord(name, level, __file__, 1, message, args, None)
    made.created = dt.datetime(2026, 11, 5, 4, 12, 9, 123456, tzinfo=dt.UTC).timestamp()
    for key, value in attributes.items():
        setattr(made, key, value)
    return made


# -- the format ----------------------------------------------------------------------------------
def test_production_writes_json_and_development_text_unless_told():
    assert logs.log_format({"SECRET_KEY": "x" * 40}) == "json"
    assert logs.log_format({}) == "text"
    assert logs.log_format({"SAHAYATA_LOG_FORMAT": "json"}) == "json"
    assert logs.log_format({"SECRET_KEY": "x" * 40, "SAHAYATA_LOG_FORMAT": "TEXT"}) == "text"
    with pytest.raises(UnsafeStart, match="SAHAYATA_LOG_FORMAT must be json or text"):
        logs.log_format({"SAHAYATA_LOG_FORMAT": "xml"})


def test_a_json_line_has_the_time_in_utc_level_logger_event_and_message():
    line = logs.JsonFormatter().format(record("%s complaints routed", 3, event="complaints_routed"))
    assert json.loads(line) == {
        "timestamp": "2026-11-05T04:12:09.123Z",
        "level": "INFO",
        "logger": "sahayata.test",
        "event": "complaints_routed",
        "message": "3 complaints routed",
    }
    assert "\n" not in line


def test_an_exception_is_a_field_of_the_same_line():
    try:
        raise ValueError("bad row")
    except ValueError:
        failed = record("import failed", level=logging.ERROR)
        failed.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(failed))
    assert entry["level"] == "ERROR" and entry["message"] == "import failed"
    assert entry["exception"].startswith("Traceback") and "ValueError: bad row" in entry["exception"]


def test_gunicorns_access_line_becomes_fields_without_the_query_string():
    atoms = {
        "h": "10.0.0.7",
        "m": "POST",
        "U": "/sms/kannel/inbound",
        "q": "sender=%2B8801712345678&text=help",
        "s": "200",
        "B": 12,
        "L": "0.004200",
        "t": "[05/Nov/2026:10:12:09 +0600]",
        "{x-request-id}o": "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b",
    }
    access = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s %(t)s", (atoms,), None)
    entry = json.loads(logs.JsonFormatter().format(access))
    assert entry == {
        "timestamp": entry["timestamp"],
        "level": "INFO",
        "logger": "gunicorn.access",
        "remote_addr": "10.0.0.7",
        "method": "POST",
        "path": "/sms/kannel/inbound",
        "status": "200",
        "bytes": 12,
        "seconds": "0.004200",
        "request_id": "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b",
        "message": "POST /sms/kannel/inbound 200",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["timestamp"])


def test_the_text_line_has_its_time_in_utc_and_the_request_id():
    line = logs.TextFormatter().format(record("hop answered", request_id="3f2a9c0b8d7e4f61"))
    assert line == "2026-11-05T04:12:09.123Z INFO sahayata.test [3f2a9c0b8d7e4f61]: hop answered"


# -- phone numbers and NIDs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "logged"),
    [
        ("SMS to +8801712345678 failed", "SMS to +88017*****678 failed"),
        ("SMS to 8801712345678 failed", "SMS to 88017*****678 failed"),
        ("caller 01712345678 dialled", "caller 017*****678 dialled"),
        ("GET /x?to=%2B8801712345678", "GET /x?to=%2B88017*****678"),
        ("worker 7541df85947843daa0a8c9a3c9193333cb1", "worker 7541df85947843daa0a8c9a3c9193333cb1"),
        ("worker 9a1234567890b", "worker 9a1234567890b"),
        ("NID 1234567890 not found", "NID *******890 not found"),
        ("NID 1990123456789 not found", "NID **********789 not found"),
        ("NID 19901234567890123 not found", "NID **************123 not found"),
        ("a masked +88017*****678 stays", "a masked +88017*****678 stays"),
        ("a masked *******890 stays", "a masked *******890 stays"),
        ("an id 1234567890123456 of 16 digits stays", "an id 1234567890123456 of 16 digits stays"),
        ("12 complaints, 345 SMS", "12 complaints, 345 SMS"),
    ],
)
def test_whole_phone_numbers_and_nids_are_masked_in_every_line(written, logged):
    assert logs.mask_personal_numbers(written) == logged
    assert json.loads(logs.JsonFormatter().format(record(written)))["message"] == logged
    assert logs.TextFormatter().format(record(written)).endswith(": " + logged)


def test_the_development_servers_request_lines_lose_their_query_strings():
    # As werkzeug's request handler logs a request (werkzeug/serving.py, log_request).
    line = record(
        '127.0.0.1 - - [05/Nov/2026 10:12:09] "%s" %s %s',
        "GET /simulator/kannel/sendsms?to=%2B8801712345678&text=hi HTTP/1.1",
        "200",
        "-",
        name="werkzeug",
    )
    assert logs.WithoutQueryStrings().filter(line)
    assert line.getMessage() == '127.0.0.1 - - [05/Nov/2026 10:12:09] "GET /simulator/kannel/sendsms HTTP/1.1" 200 -'


# -- request ids ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b", True),  # nginx's $request_id
        ("req-2026.11.05:web-2", True),
        ("short", False),
        ("x" * 65, False),
        ("id with spaces", False),
        ('id"},"level":"ERROR', False),
        ("call-+8801712345678", False),
        ("nid-1990123456789", False),
    ],
)
def test_only_an_id_that_looks_like_one_is_believed(given, kept):
    assert (logs.safe_request_id(given) == given) is kept


def test_a_made_id_is_never_cut_by_the_nid_mask():
    for _ in range(2000):
        made = logs.new_request_id()
        assert logs.safe_request_id(made) == made and logs.mask_personal_numbers(made) == made


@pytest.fixture
def proxied_app(database_url, redis_url):
    return create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True, "SAHAYATA_PROXY_HOPS": 1})


@pytest.fixture
def fresh_app(app, database_url, redis_url):
    """An app that has served nothing yet, so a test may add a route to it."""
    return create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True})


def test_every_answer_carries_a_request_id_that_its_logs_carry_too(fresh_app, caplog):
    app, client = fresh_app, fresh_app.test_client()

    @app.get("/_test/log_something")
    def _log_something():
        logging.getLogger("sahayata.test").warning("something happened")
        return "ok"

    caplog.set_level(logging.WARNING, logger="sahayata.test")
    first = client.get("/_test/log_something", headers={"X-Request-ID": "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b"})
    second = client.get("/_test/log_something")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    # No proxy of ours in front (SAHAYATA_PROXY_HOPS=0): the client's header is not believed.
    assert ids[0] != "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b"
    assert all(re.fullmatch(r"[0-9a-f]{32}", each) for each in ids) and ids[0] != ids[1]
    lines = [json.loads(logs.JsonFormatter().format(r)) for r in caplog.records if r.name == "sahayata.test"]
    assert [line["request_id"] for line in lines] == ids
    assert logs.current_request_id() is None  # forgotten once the request ended


def test_behind_our_proxy_its_request_id_is_kept_when_safe(proxied_app):
    client = proxied_app.test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b"})
    assert kept.headers["X-Request-ID"] == "3f2a9c0b8d7e4f61a5b4c3d2e1f00a9b"
    replaced = client.get("/healthz", headers={"X-Request-ID": "+8801712345678-abc"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_an_error_page_carries_the_request_id_too(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", missing.headers["X-Request-ID"])


def test_logging_set_up_by_a_host_is_left_alone():
    root = logging.getLogger()
    before = list(root.handlers)
    assert before  # pytest's own handlers, and the suite's check
    logs.configure("json")
    assert root.handlers == before
