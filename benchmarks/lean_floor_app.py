"""A lower floor for the redemption calls: the same work in two round trips a call.

``floor_app.py`` sends the service's own statements (three round trips for a start, three for a
confirm, BEGIN, COMMIT and Redis included). This sends the fewest the work allows, on an autocommit
connection: each call is one read (the outlet's token joined to what the call needs) and one
write, all the call's inserts and updates as one statement of data-modifying CTEs, which
PostgreSQL runs as one transaction. What it serves is what a service restructured around
those two statements could approach; redemption_bench.py prints it with ``--lean-floor``.

Not part of the service, and not a design to copy as it is: it trusts every body, and its
confirm marks a redemption completed even when the wallet could not be debited (the service
would have to refuse that in the same statement). SQLite has no data-modifying CTEs.

Its concurrency differs from the service's and floor_app's, which lock the redemption row
(``FOR UPDATE``) before checking the code: here the read takes no lock, and only the write's
conditions (``status = 'awaiting_code'``, ``balance >= quantity``) stop a second debit or an
overdraft, so a lock wait the service may pay under contention is not in these figures. Its
receipt question stays open 7 days, as the service's and floor_app's do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from decimal import Decimal

import psycopg
from flask import Flask, Response, jsonify, request

from benchmarks.floor_app import wake  # the same Redis round trip after each call

app = Flask(__name__)
_KEY = b"floor"
_connection: psycopg.Connection | None = None

CANDIDATES = """
WITH o AS (SELECT id, operator_mobile, name_en FROM outlets WHERE token_hash = %(token)s LIMIT 1)
SELECT o.id, o.operator_mobile, o.name_en, w.id, w.programme_code, w.unit, c.id, c.mobile,
  (SELECT coalesce(sum(r.wrong_codes), 0) FROM redemptions r
    WHERE r.outlet_id = o.id AND r.started_at > %(hour_ago)s AND r.wrong_codes > 0),
  (SELECT count(*) FROM redemptions r
    WHERE r.wallet_id = w.id AND r.status = 'cancelled' AND r.started_at > %(day_ago)s)
FROM o JOIN etoken_wallets w
  ON w.programme_code IN (SELECT programme_code FROM outlet_programmes WHERE outlet_id = o.id)
JOIN citizens c ON c.id = w.citizen_id
WHERE w.citizen_id = (SELECT id FROM citizens WHERE {holder} ORDER BY id LIMIT 1)
ORDER BY w.programme_code
"""
BY_MOBILE, BY_NID = CANDIDATES.format(holder="mobile = %(typed)s"), CANDIDATES.format(holder="nid = %(typed)s")
# Every column an outbound SMS is written with.
SMS_COLUMNS = "dedupe_key, phone, text, locale, template, campaign_id, encoding, segments, status, attempts, " + (
    "created_at, updated_at"
)
START = f"""
WITH r AS (
  INSERT INTO redemptions (outlet_id, wallet_id, citizen_id, programme_code, quantity, unit, operator_mobile, channel,
    request_id, status, code_hash, code_expires_at, wrong_codes, started_at, finished_at)
  VALUES (%(outlet)s, %(wallet)s, %(citizen)s, %(programme)s, %(quantity)s, %(unit)s, %(operator)s, 'api',
    %(request_id)s, 'awaiting_code', %(code_hash)s, %(until)s, 0, %(now)s, NULL) RETURNING id),
q AS (
  INSERT INTO citizen_questions (phone_hash, kind, subject_id, locale, asked_at, open_until)
  SELECT %(phone)s, 'redemption_code', r.id, 'bn', %(now)s, %(until)s FROM r),
s AS (
  INSERT INTO sms_messages ({SMS_COLUMNS})
  SELECT 'redemption:' || r.id || ':code', %(mobile)s, %(text)s, 'bn', 'redemption_code', NULL, 'UCS-2', 2,
    'created', 0, %(now)s, %(now)s FROM r
  ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)
SELECT r.id, (SELECT id FROM s) FROM r
"""
REDEMPTION = """
SELECT r.wallet_id, r.quantity, r.unit, r.status, r.code_hash, r.code_expires_at, o.name_en, c.mobile, w.balance
FROM redemptions r JOIN outlets o ON o.id = r.outlet_id AND o.token_hash = %(token)s
JOIN citizens c ON c.id = r.citizen_id JOIN etoken_wallets w ON w.id = r.wallet_id
WHERE r.id = %(id)s
"""
CONFIRM = f"""
WITH f AS (
  UPDATE redemptions SET status = 'completed', finished_at = %(now)s
  WHERE id = %(id)s AND status = 'awaiting_code' RETURNING id, wallet_id, quantity, outlet_id, operator_mobile),
d AS (
  UPDATE etoken_wallets w SET balance = w.balance - f.quantity FROM f
  WHERE w.id = f.wallet_id AND w.balance >= f.quantity RETURNING w.balance, w.unit),
l AS (
  INSERT INTO etoken_ledger (wallet_id, amount, reason, outlet_id, operator_mobile, redemption_id)
  SELECT f.wallet_id, -f.quantity, 'redeem', f.outlet_id, f.operator_mobile, f.id FROM f, d),
c AS (
  UPDATE citizen_questions SET open_until = %(now)s
  WHERE id IN (SELECT id FROM citizen_questions
    WHERE kind = 'redemption_code' AND subject_id = %(id)s AND answered_at IS NULL AND open_until > %(now)s
    FOR UPDATE SKIP LOCKED)
    AND EXISTS (SELECT 1 FROM d)),
q AS (
  INSERT INTO citizen_questions (phone_hash, kind, subject_id, locale, asked_at, open_until)
  SELECT %(phone)s, 'redemption_receipt', %(id)s, 'bn', %(now)s, %(until)s FROM d),
s AS (
  INSERT INTO sms_messages ({SMS_COLUMNS})
  SELECT %(key)s, %(mobile)s, %(text)s, 'bn', 'redemption_receipt', NULL, 'UCS-2', 2, 'created', 0, %(now)s, %(now)s
  FROM d ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)
SELECT d.balance, d.unit, (SELECT id FROM s) FROM d
"""


def _db() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=True)
    return _connection


def _token() -> str:
    return hashlib.sha256(request.headers["Authorization"].partition(" ")[2].encode()).hexdigest()


def _phone(mobile: str) -> str:
    return hmac.new(_KEY, mobile.encode(), hashlib.sha256).hexdigest()


@app.post("/api/outlets/redemptions")
def start() -> tuple[Response, int]:
    db = _db()
    body = request.get_json()
    now = dt.datetime.now(dt.UTC)
    typed = body["beneficiary"]
    if typed.startswith("01"):
        typed = "+88" + typed
    by = BY_MOBILE if typed.startswith("+") else BY_NID
    since = {"hour_ago": now - dt.timedelta(hours=1), "day_ago": now - dt.timedelta(days=1)}
    found = db.execute(by, {"token": _token(), "typed": typed, **since}).fetchone()
    outlet_id, operator, name_en, wallet_id, programme, unit, citizen_id, mobile, _, _ = found
    code = f"{secrets.randbelow(10**6):06d}"
    quantity = Decimal(body["quantity"])
    redemption_id, message = db.execute(
        START,
        {
            "outlet": outlet_id,
            "wallet": wallet_id,
            "citizen": citizen_id,
            "programme": programme,
            "quantity": quantity,
            "unit": unit,
            "operator": operator,
            "request_id": body["request_id"],
            "code_hash": hmac.new(_KEY, code.encode(), hashlib.sha256).hexdigest(),
            "until": now + dt.timedelta(minutes=10),
            "now": now,
            "phone": _phone(mobile),
            "mobile": mobile,
            "text": f"{name_en}: {quantity} {unit}. Code {code}",
        },
    ).fetchone()
    wake(message)
    return jsonify(id=redemption_id, status="awaiting_code", quantity=str(quantity), unit=unit), 201


@app.post("/api/outlets/redemptions/<int:redemption_id>/confirm")
def confirm(redemption_id: int) -> Response:
    db = _db()
    code = request.get_json()["code"]
    now = dt.datetime.now(dt.UTC)
    found = db.execute(REDEMPTION, {"token": _token(), "id": redemption_id}).fetchone()
    _, quantity, unit, _, code_hash, _, name_en, mobile, balance = found
    typed = hmac.new(_KEY, code.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(typed, code_hash)
    left, unit, message = db.execute(
        CONFIRM,
        {
            "now": now,
            "id": redemption_id,
            "phone": _phone(mobile),
            "until": now + dt.timedelta(days=7),
            "key": f"redemption:{redemption_id}:receipt",
            "mobile": mobile,
            "text": f"{name_en}: {quantity} {unit}, {balance - quantity} left",
        },
    ).fetchone()
    wake(message)
    return jsonify(id=redemption_id, status="completed", balance=str(left), unit=unit)
