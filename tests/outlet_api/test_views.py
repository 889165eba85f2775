"""/api/outlets/redemptions: every status code path, in Bangla and English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.i18n import translate
from outbound_sms.models import Message
from registry.models import ETokenWallet
from registry.outlets import issue_token
from tests.fast_path import (  # noqa: F401  (the token look-up runs on the fast path and without it)
    app_both_ways,
    production_app_both_ways,
)
from tests.redemption_support import balance_matches_ledger, beneficiary, make_outlet

URL = "/api/outlets/redemptions"


@pytest.fixture
def dealer(session):
    outlet = make_outlet(session)
    return outlet, {"Authorization": f"Bearer {issue_token(session, outlet.code)}", "Accept-Language": "en"}


def code_sent_to(session, mobile):
    text = session.scalars(
        select(Message.text).where(Message.phone == mobile, Message.template == "redemption_code")
    ).one()
    return next(word.strip(",.") for word in text.split() if word.strip(",.").isdigit() and len(word.strip(",.")) == 6)


def test_start_then_confirm_completes_and_returns_the_balance(client, session, dealer):
    _, headers = dealer
    citizen, wallet = beneficiary(session, language="en")
    body = {"beneficiary": citizen.mobile, "quantity": 10, "request_id": "r-1"}
    started = client.post(URL, json=body, headers=headers)
    assert started.status_code == 201
    assert started.json["status"] == "awaiting_code" and started.json["quantity"] == "10.00"
    rid = started.json["id"]
    confirmed = client.post(
        f"{URL}/{rid}/confirm", json={"code": code_sent_to(session, citizen.mobile)}, headers=headers
    )
    assert confirmed.status_code == 200
    assert confirmed.json == {"id": rid, "status": "completed", "balance": "20.00", "unit": "kg rice"}
    assert balance_matches_ledger(session, wallet.id)
    shown = client.get(f"{URL}/{rid}", headers=headers)
    assert shown.status_code == 200 and shown.json["status"] == "completed"
    today = client.get("/api/outlets/today", headers=headers)
    assert today.json["totals"][0]["quantity"] == "10.00"


def test_the_same_request_id_is_the_same_redemption(client, session, dealer):
    _, headers = dealer
    citizen, _ = beneficiary(session)
    body = {"beneficiary": citizen.nid, "quantity": "5", "request_id": "same"}
    first = client.post(URL, json=body, headers=headers)
    again = client.post(URL, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    assert len(session.scalars(select(Message).where(Message.template == "redemption_code")).all()) == 1
    other = client.post(URL, json={**body, "quantity": 6}, headers=headers)
    assert (other.status_code, other.json["error"]) == (409, "request_id_reused")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_no_token_or_a_bad_one_is_401_with_a_bearer_challenge(client, session, dealer, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(URL, json={"beneficiary": "01711000000", "quantity": 1}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"] == "unauthorized"


def _written(session) -> tuple:
    """What a call could have written: redemptions (with their wrong codes and status), SMS."""
    from registry.models import Redemption

    session.expire_all()
    redemptions = session.execute(select(Redemption.id, Redemption.status, Redemption.wrong_codes)).all()
    return sorted(redemptions), session.scalar(select(func.count()).select_from(Message))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", URL, {"quantity": 1}),  # a bad body
        ("post", URL, {"beneficiary": "hello", "quantity": 1}),  # refused before any statement
        ("post", URL, {"beneficiary": "x" * 5000, "quantity": 1}),  # too large
        ("post", URL, {"beneficiary": "{mobile}", "quantity": "lots"}),  # a bad quantity
        ("post", URL, {"beneficiary": "{mobile}", "quantity": 1, "request_id": "no spaces"}),
        ("post", URL, {"beneficiary": "{mobile}", "quantity": 1}),  # a beneficiary the outlet serves
        ("post", URL, {"beneficiary": "{mobile}", "quantity": 1, "request_id": "r-1"}),  # a repeated request
        ("post", URL + "/{rid}/confirm", {"code": "000000"}),  # a wrong code for a real redemption
        ("post", URL + "/{rid}/confirm", {"code": "{code}"}),  # the right one
        ("post", URL + "/99999999999999999999/confirm", {"code": "123456"}),
        ("get", URL + "/{rid}", None),
        ("get", "/api/outlets/today", None),
    ],
)
def test_a_bad_token_is_401_whatever_else_is_wrong_with_the_call_and_writes_nothing(
    client, session, dealer, method, path, body
):
    _, headers = dealer
    citizen, _ = beneficiary(session)
    rid = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1, "request_id": "r-1"}, headers=headers)
    fill = {"mobile": citizen.mobile, "rid": rid.json["id"], "code": code_sent_to(session, citizen.mobile)}
    if body is not None:
        body = {key: value.format(**fill) if isinstance(value, str) else value for key, value in body.items()}
    before = _written(session)
    response = getattr(client, method)(path.format(**fill), json=body, headers={"Authorization": "Bearer not-a-token"})
    assert (response.status_code, response.json["error"]) == (401, "unauthorized")
    assert _written(session) == before


def test_a_revoked_token_can_no_longer_confirm_its_outlets_redemption(client, session, dealer):
    from registry.outlets import revoke_token

    outlet, headers = dealer
    citizen, _ = beneficiary(session)
    rid = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers).json["id"]
    revoke_token(session, outlet.code)
    before = _written(session)
    for code in ("000000", code_sent_to(session, citizen.mobile)):
        response = client.post(f"{URL}/{rid}/confirm", json={"code": code}, headers=headers)
        assert (response.status_code, response.json["error"]) == (401, "unauthorized")
    assert _written(session) == before  # still awaiting its code, no wrong code counted


@pytest.fixture
def statements_sent(app, monkeypatch):
    """The SQL of every statement the app sends: on the driver's cursor (foundation.hot_select)
    and through SQLAlchemy."""
    from sqlalchemy import event

    from foundation import hot_select
    from foundation.db import database

    sent: list[str] = []

    class Recording:
        def __init__(self, cursor):
            self._cursor = cursor

        def execute(self, query, parameters=None):
            sent.append(query.decode() if isinstance(query, bytes) else query)
            return self._cursor.execute(query, parameters)

        def __getattr__(self, name):
            return getattr(self._cursor, name)

    real_cursor_of = hot_select._cursor_of
    monkeypatch.setattr(hot_select, "_cursor_of", lambda connection: Recording(real_cursor_of(connection)))

    def seen(_connection, _cursor, statement, *_):
        sent.append(statement)

    engines = (database(app).engine, database(app).autocommit_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    yield sent
    for engine in engines:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_start_and_a_confirm_check_the_token_in_their_first_statement(client, session, dealer, statements_sent):
    """No look-up of the outlet of its own: the wallet read and the lock join the outlets."""
    _, headers = dealer
    citizen, _ = beneficiary(session)
    statements_sent.clear()
    started = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    assert started.status_code == 201
    reading_outlets = [sql for sql in statements_sent if "outlets" in sql.replace("outlet_programmes", "")]
    assert len(reading_outlets) == 1 and "token_hash" in reading_outlets[0], statements_sent
    assert "etoken_wallets" in reading_outlets[0] and statements_sent[0] == reading_outlets[0]
    code = code_sent_to(session, citizen.mobile)
    statements_sent.clear()
    confirmed = client.post(f"{URL}/{started.json['id']}/confirm", json={"code": code}, headers=headers)
    assert confirmed.status_code == 200
    reading_outlets = [sql for sql in statements_sent if "outlets" in sql.replace("outlet_programmes", "")]
    assert len(reading_outlets) == 1 and "token_hash" in reading_outlets[0], statements_sent
    assert "redemptions.code_hash" in reading_outlets[0] and statements_sent[0] == reading_outlets[0]


def test_on_postgresql_a_start_and_a_confirm_are_each_two_statements_outside_any_transaction(
    app, client, session, dealer, statements_sent
):
    """The read, then the insert carrying the code's SMS and its question (foundation.write_parts),
    both on the autocommit connection: no BEGIN, no COMMIT."""
    from sqlalchemy import event

    from foundation.db import database
    from grievance.models import CitizenQuestion, QuestionKind

    if database(app).engine.dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite has no data-modifying CTEs (CI's PostgreSQL pass runs this)")
    _, headers = dealer
    citizen, _ = beneficiary(session)
    session.commit()
    begun: list[object] = []

    def began(connection) -> None:
        begun.append(connection)

    event.listen(database(app).engine, "begin", began)
    try:
        statements_sent.clear()
        started = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    finally:
        event.remove(database(app).engine, "begin", began)
    assert started.status_code == 201
    assert len(statements_sent) == 2 and begun == [], [sql[:90] for sql in statements_sent]
    read, write = statements_sent
    assert "nextval" in read and all(table in write for table in ("redemptions", "citizen_questions", "sms_messages"))
    code = code_sent_to(session, citizen.mobile)
    asked = session.scalars(select(CitizenQuestion).where(CitizenQuestion.subject_id == started.json["id"])).one()
    assert asked.kind is QuestionKind.REDEMPTION_CODE
    # (The test client serves this request in the test's own app context, whose session the
    # reads above began; a server's request starts with nothing begun.)
    session.rollback()
    statements_sent.clear()
    event.listen(database(app).engine, "begin", began)
    try:
        confirmed = client.post(f"{URL}/{started.json['id']}/confirm", json={"code": code}, headers=headers)
    finally:
        event.remove(database(app).engine, "begin", began)
    assert confirmed.json == {"id": started.json["id"], "status": "completed", "balance": "29.00", "unit": "kg rice"}
    # A confirm: a read with no lock, then one statement that locks the redemption, debits the
    # wallet, writes the ledger entry and the completion, and the receipt with its question.
    assert len(statements_sent) == 2 and begun == [], [sql[:90] for sql in statements_sent]
    read, write = statements_sent
    assert "FOR UPDATE" not in read.upper() and "FOR UPDATE" in write.upper()
    assert all(table in write for table in ("etoken_ledger", "redemptions", "citizen_questions", "sms_messages"))
    receipt = session.scalars(select(Message.text).where(Message.template == "redemption_receipt")).one()
    assert "২৯" in receipt  # the balance left, in Bengali digits (the beneficiary reads Bangla)


def test_refusals_are_localized_in_bangla_and_english(client, session, dealer):
    _, headers = dealer
    citizen, _ = beneficiary(session, balance="5")
    body = {"beneficiary": citizen.mobile, "quantity": 6}
    english = client.post(URL, json=body, headers=headers)
    bangla = client.post(URL, json=body, headers={**headers, "Accept-Language": "bn-BD,bn;q=0.9"})
    assert (english.status_code, english.json["error"]) == (422, "over_balance")
    assert english.json["message"] == "The quantity is more than the e-token balance."
    assert bangla.json["message"] == "পরিমাণ ই-টোকেনের ব্যালেন্সের চেয়ে বেশি।"
    # Romanized Bangla, as ASCII-only screens show it (BCP 47 "bn-Latn", or ?lang=bn_Latn).
    romanized = client.post(URL, json=body, headers={**headers, "Accept-Language": "bn-Latn"})
    assert romanized.json["message"] == translate("bn_Latn", "The quantity is more than the e-token balance.")
    assert romanized.json["message"].isascii() and romanized.json["message"] != english.json["message"]
    by_query = client.post(URL + "?lang=bn_Latn", json=body, headers=headers)
    assert by_query.json["message"] == romanized.json["message"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"quantity": 1}, 400, "missing_beneficiary"),
        ({"beneficiary": "01711000000"}, 400, "missing_quantity"),
        ({"beneficiary": ["x"], "quantity": 1}, 400, "invalid_beneficiary"),
        ({"beneficiary": "hello", "quantity": 1}, 422, "bad_beneficiary"),
        ({"beneficiary": "01799999999", "quantity": 1}, 422, "no_wallet"),
        ({"beneficiary": "01799999999", "quantity": "lots"}, 422, "bad_quantity"),
        ({"beneficiary": "01799999999", "quantity": 1, "programme": "OAA"}, 403, "programme_not_served"),
        ({"beneficiary": "01799999999", "quantity": 1, "request_id": "no spaces"}, 400, "bad_request_id"),
    ],
)
def test_bad_bodies_are_4xx_with_a_code(client, session, dealer, body, status, error):
    _, headers = dealer
    response = client.post(URL, json=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (status, error)
    assert response.json["message"]


def test_json_nested_past_the_parser_is_400_not_500(client, session, dealer):
    _, headers = dealer
    deep = "[" * 1020 + "]" * 1020  # within the body limit, deeper than json's recursion
    response = client.post(URL, data=deep, headers={**headers, "Content-Type": "application/json"})
    assert (response.status_code, response.json["error"]) == (400, "bad_body")


def test_the_code_expiry_is_given_with_its_time_zone(client, session, dealer):
    _, headers = dealer
    citizen, _ = beneficiary(session)
    started = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    expires = dt.datetime.fromisoformat(started.json["expires_at"])
    assert expires.utcoffset() == dt.timedelta(0)  # on SQLite too, which keeps naive times


def test_guessing_codes_pauses_the_outlets_starts_with_429(client, session, dealer):
    _, headers = dealer
    for _ in range(4):  # 12 wrong codes, 3 per e-token
        citizen, _ = beneficiary(session)
        rid = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers).json["id"]
        for _ in range(3):
            client.post(f"{URL}/{rid}/confirm", json={"code": "000000"}, headers=headers)
    citizen, _ = beneficiary(session)
    paused = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    assert (paused.status_code, paused.json["error"]) == (429, "paused")
    assert "paused" in paused.json["message"]


def test_not_json_is_400_and_a_large_body_is_413(client, session, dealer):
    _, headers = dealer
    assert client.post(URL, data="beneficiary=1", headers=headers).status_code == 400
    assert client.post(URL, json=[1, 2], headers=headers).json["error"] == "bad_body"
    big = client.post(URL, json={"beneficiary": "x" * 5000, "quantity": 1}, headers=headers)
    assert (big.status_code, big.json["error"]) == (413, "too_large")


def test_own_wallet_is_403_and_a_second_start_on_a_wallet_is_409(client, session):
    citizen, _ = beneficiary(session)
    own = make_outlet(session, operator_mobile=citizen.mobile)
    headers = {"Authorization": f"Bearer {issue_token(session, own.code)}"}
    response = client.post(URL, json={"beneficiary": citizen.nid, "quantity": 1}, headers=headers)
    assert (response.status_code, response.json["error"]) == (403, "own_wallet")

    other, _ = beneficiary(session)
    first, second = make_outlet(session), make_outlet(session)
    for outlet, expected in ((first, 201), (second, 409)):
        token = issue_token(session, outlet.code)
        started = client.post(
            URL, json={"beneficiary": other.mobile, "quantity": 1}, headers={"Authorization": f"Bearer {token}"}
        )
        assert started.status_code == expected
    assert started.json["error"] == "pending_exists"


def test_several_programmes_is_422_listing_them(client, session, dealer):
    from tests.redemption_support import funded_wallet

    _, headers = dealer
    citizen, _ = beneficiary(session)
    funded_wallet(session, citizen, "VGF", "10")
    response = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    assert (response.status_code, response.json["programmes"]) == (422, ["FFP", "VGF"])


def test_wrong_codes_say_tries_left_then_cancel(client, session, dealer):
    _, headers = dealer
    citizen, wallet = beneficiary(session)
    rid = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers).json["id"]
    right = code_sent_to(session, citizen.mobile)
    wrong = "000000" if right != "000000" else "111111"
    answers = [client.post(f"{URL}/{rid}/confirm", json={"code": wrong}, headers=headers) for _ in range(3)]
    assert [(a.status_code, a.json["error"], a.json["tries_left"]) for a in answers] == [
        (422, "wrong_code", 2),
        (422, "wrong_code", 1),
        (409, "cancelled", 0),
    ]
    assert "Tries left: 2" in answers[0].json["message"]
    late = client.post(f"{URL}/{rid}/confirm", json={"code": right}, headers=headers)
    assert late.status_code == 409
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(30)


def test_another_outlets_redemption_and_unknown_ids_are_404(client, session, dealer):
    _, headers = dealer
    citizen, _ = beneficiary(session)
    rid = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers).json["id"]
    other = make_outlet(session)
    other_headers = {"Authorization": f"Bearer {issue_token(session, other.code)}"}
    for path in (f"{URL}/{rid}", f"{URL}/99999999999999999999"):
        assert client.get(path, headers=other_headers).status_code == 404
    confirm = client.post(f"{URL}/{rid}/confirm", json={"code": "123456"}, headers=other_headers)
    assert (confirm.status_code, confirm.json["error"]) == (404, "not_found")
    assert client.post(f"{URL}/{rid}/confirm", json={}, headers=headers).status_code == 400


def test_production_start_is_closed_until_a_token_is_issued_and_needs_no_csrf_token(session, production_client):
    citizen, _ = beneficiary(session)
    body = {"beneficiary": citizen.mobile, "quantity": 1}
    assert production_client.post(URL, json=body).status_code == 401
    outlet = make_outlet(session)
    token = issue_token(session, outlet.code)
    assert production_client.post(URL, json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201


def _failing_database(monkeypatch, app, error):
    """Every statement the outlet API sends fails (the token's check, a start's first read)."""
    from foundation.hot_select import HotSelect, HotStatement

    # As a server does: an unhandled error becomes a 500 answered by the error handlers.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(HotSelect, "rows", failing)
    monkeypatch.setattr(HotStatement, "run", failing)


def test_a_lost_database_is_503_service_unavailable_in_bangla_and_english(app, client, dealer, monkeypatch):
    from sqlalchemy.exc import OperationalError

    _, headers = dealer
    lost = OperationalError("SELECT secret_table", {}, Exception("connection to 10.0.0.7 refused"))
    _failing_database(monkeypatch, app, lost)
    english = client.post(URL, json={"beneficiary": "01711000000", "quantity": 1}, headers=headers)
    assert english.status_code == 503
    assert english.json["error"] == "unavailable"
    assert "unavailable" in english.json["message"] and "JSON" not in english.json["message"]
    assert "10.0.0.7" not in english.get_data(as_text=True) and "secret_table" not in english.get_data(as_text=True)
    bangla = client.post(URL, json={}, headers={**headers, "Accept-Language": "bn"})
    assert bangla.status_code == 503
    assert bangla.json["message"] != english.json["message"]
    assert any("\u0980" <= char <= "\u09ff" for char in bangla.json["message"])


def test_another_internal_error_is_500_without_its_details(app, client, dealer, monkeypatch):
    _, headers = dealer
    _failing_database(monkeypatch, app, RuntimeError("token table at /srv/secret"))
    answer = client.post(URL, json={"beneficiary": "01711000000", "quantity": 1}, headers=headers)
    assert answer.status_code == 500
    assert answer.json["error"] == "internal_error"
    assert "JSON" not in answer.json["message"] and "/srv/secret" not in answer.get_data(as_text=True)


def test_a_call_right_after_the_database_dropped_its_connections_is_served(
    app, client, session, dealer, database_url, monkeypatch
):
    """The connection used a moment ago is not pinged first (foundation/db.py): a call's first
    statement meets the dead connection, and is sent once more on a fresh one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no server to restart (CI's PostgreSQL pass runs this)")
    from foundation.db import database
    from tests.foundation.test_db import _terminate_every_backend

    _, headers = dealer
    # However long this test takes, no connection is pinged: the calls meet the dead ones.
    monkeypatch.setattr("foundation.db.PING_AFTER_IDLE_SECONDS", 3600.0)
    assert client.get("/api/outlets/today", headers=headers).status_code == 200  # the pool holds it now
    _terminate_every_backend(database_url)
    assert client.get("/api/outlets/today", headers=headers).status_code == 200
    # A start and a confirm check the token in their first statement, which is retried so.
    citizen, _ = beneficiary(session)
    _terminate_every_backend(database_url)
    started = client.post(URL, json={"beneficiary": citizen.mobile, "quantity": 1}, headers=headers)
    assert started.status_code == 201, started.json
    # The start ran on the autocommit pool: this test's own session still holds a dead one.
    database(app).engine.dispose()
    code = code_sent_to(session, citizen.mobile)
    session.rollback()
    _terminate_every_backend(database_url)
    confirmed = client.post(f"{URL}/{started.json['id']}/confirm", json={"code": code}, headers=headers)
    assert (confirmed.status_code, confirmed.json["status"]) == (200, "completed")


def test_another_method_answers_in_the_outlet_apis_format_with_the_methods_allowed(client, session, dealer):
    _, headers = dealer
    for method, path in (("get", URL), ("put", URL + "/1/confirm")):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 405
        assert response.json == {"error": "method_not_allowed", "message": "This method is not allowed here."}
        assert "POST" in response.headers["Allow"]
