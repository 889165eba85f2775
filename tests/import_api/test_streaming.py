"""Bodies as a real server receives them: chunked with no Content-Length, beyond the web's
limit, and stopped at the import's own; one import at a time per token."""

from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from foundation.config import UnsafeStart
from foundation.db import database
from import_api import views
from import_api.settings import DEFAULT_IMPORT_MAX_BYTES, IMPORT_MAX_BYTES
from registry.models import Citizen
from tests.helpers import serving
from tests.import_api.conftest import URL, csv_body, outlet
from tests.registry.conftest import citizen_row


def _chunks(body: bytes, size: int = 4096):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def post_chunked(base_url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST with Transfer-Encoding: chunked, as a streaming client sends a file it has not measured."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("POST", path, body=_chunks(body), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_a_chunked_body_far_beyond_the_web_limit_is_imported(app, session, bearer):
    _, headers = bearer("MOSW", citizens=True)
    rows = [citizen_row(nid=f"{2_000_000_000 + i}", household_id=f"C{i}") for i in range(1500)]
    body = csv_body("citizens", rows)
    assert len(body) > 5 * app.config["MAX_CONTENT_LENGTH"]
    with serving(app) as base_url:
        status, answer = post_chunked(base_url, URL + "citizens", body, headers)
    assert status == 200, answer
    assert answer == {"kind": "citizens", "rows": 1500, "counts": {"read": 1500, "imported": 1500}}
    session.expire_all()
    assert len(session.scalars(select(Citizen.id)).all()) == 1500


def test_a_chunked_body_past_the_import_limit_is_413_and_imports_nothing(app, session, bearer):
    _, headers = bearer("MOSW", citizens=True)
    body = csv_body("citizens", [citizen_row(nid=f"{2_000_000_000 + i}", household_id=f"C{i}") for i in range(300)])
    limit = app.config[IMPORT_MAX_BYTES]
    app.config[IMPORT_MAX_BYTES] = len(body) // 2
    try:
        with serving(app) as base_url:
            status, answer = post_chunked(base_url, URL + "citizens", body, headers)
    finally:
        app.config[IMPORT_MAX_BYTES] = limit
    assert (status, answer["error"]) == (413, "too_large")
    assert session.scalars(select(Citizen.id)).all() == []


def test_a_second_import_with_the_same_token_while_one_runs_is_429(app, session, bearer, monkeypatch):
    _, headers = bearer("MOFOOD")
    _, other_ministry = bearer("MODMR")
    running, release = threading.Event(), threading.Event()
    original = views._run

    def slow_run(*args, **kwargs):
        running.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "_run", slow_run)
    answers = {}

    def first() -> None:
        answers["first"] = app.test_client().post(
            URL + "outlets", data=csv_body("outlets", [outlet()]), headers=headers
        )

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert running.wait(30)
        second = app.test_client().post(URL + "outlets", data=csv_body("outlets", [outlet("D-2")]), headers=headers)
        assert (second.status_code, second.json["error"]) == (429, "busy")
        assert second.headers["Retry-After"].isdigit()
    finally:
        release.set()
        thread.join(60)
    assert answers["first"].status_code == 200
    # Another ministry's token is not held up by it.
    monkeypatch.setattr(views, "_run", original)
    vgf = app.test_client().post(
        URL + "outlets", data=csv_body("outlets", [outlet("D-3", programmes="VGF")]), headers=other_ministry
    )
    assert vgf.status_code == 200 and vgf.json["counts"]["imported"] == 1


def test_an_import_running_on_another_node_holds_the_token_row(app, session, bearer):
    """Across processes the token's row lock is the guard (PostgreSQL; SQLite has no row locks)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite has no row locks (CI's PostgreSQL pass runs this)")
    token_id, headers = bearer("MOFOOD")
    with database(app).engine.connect() as other_node:
        other_node.execute(text("SELECT id FROM api_tokens WHERE id = :id FOR NO KEY UPDATE"), {"id": token_id})
        held = app.test_client().post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=headers)
        other_node.rollback()
    assert (held.status_code, held.json["error"]) == (429, "busy")
    after = app.test_client().post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=headers)
    assert after.status_code == 200


def test_the_import_limit_is_safe_unset_and_a_bad_one_refuses_the_start(make_production_app):
    started = make_production_app()
    assert started.config[IMPORT_MAX_BYTES] == DEFAULT_IMPORT_MAX_BYTES
    assert started.config["MAX_CONTENT_LENGTH"] == 16 * 1024  # every other route keeps the web's limit
    assert make_production_app(SAHAYATA_IMPORT_MAX_BYTES="1048576").config[IMPORT_MAX_BYTES] == 1048576
    for bad in ("lots", "0", "-5", "1e9"):
        with pytest.raises(UnsafeStart, match=IMPORT_MAX_BYTES):
            make_production_app(SAHAYATA_IMPORT_MAX_BYTES=bad)
