"""A floor for the redemption calls: the service's own statements, with nothing in between.

The same two JSON calls as the outlet API, sending the same SQL the service sends (the
statements SQLAlchemy compiles for it, written out here) in the same transactions, with the
same round trips to PostgreSQL and Redis, straight from Flask through one psycopg
connection per worker: no ORM, no SQLAlchemy, no refusals, no wording, no SMS fitting.
What this serves is what any Python implementation of those round trips can serve on this
machine; redemption_bench.py prints it beside the service and bare Flask.

Not part of the service: it checks nothing an attacker would send, and trusts every body.
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
from redis import Redis

app = Flask(__name__)
_KEY = b"floor"
_autocommit_connection: psycopg.Connection | None = None
_redis: Redis | None = None

# The bearer token is checked in each call's first statement, joined to the outlets by its
# hash, as registry/redemptions.py checks it.
CANDIDATES = """
SELECT w.id, w.programme_code, w.unit, w.balance, w.expires_on, c.id, c.mobile, c.language,
  (SELECT coalesce(sum(r.wrong_codes), 0) FROM redemptions r
    WHERE r.outlet_id = o.id AND r.started_at > %(hour_ago)s AND r.wrong_codes > 0),
  (SELECT count(*) FROM redemptions r
    WHERE r.wallet_id = w.id AND r.status = 'cancelled' AND r.started_at > %(day_ago)s),
  o.id, o.code, o.operator_mobile, o.name_en, o.name_bn,
  (SELECT nextval(pg_get_serial_sequence('redemptions', 'id')))
FROM etoken_wallets w JOIN citizens c ON c.id = w.citizen_id JOIN outlets o ON o.token_hash = %(token)s
WHERE w.citizen_id = (SELECT id FROM citizens WHERE {holder} ORDER BY id LIMIT 1)
  AND w.programme_code IN (SELECT programme_code FROM outlet_programmes WHERE outlet_id = o.id)
ORDER BY w.programme_code
"""
BY_MOBILE, BY_NID = CANDIDATES.format(holder="mobile = %(typed)s"), CANDIDATES.format(holder="nid = %(typed)s")
# A redemption's SMS and the question it asks (and, for a receipt, the closing of the code's
# question) ride in the statement that writes the redemption (foundation/write_parts.py):
# the start's insert, on an autocommit connection, and the confirm's debit.
SMS_AND_QUESTION = """asked AS (
  INSERT INTO citizen_questions (phone_hash, kind, subject_id, locale, asked_at, open_until)
  VALUES (%(phone)s, %(kind)s, %(id)s, 'bn', %(now)s, %(until)s)),
message AS (
  INSERT INTO sms_messages (dedupe_key, phone, text, locale, template, campaign_id, encoding, segments, status,
    attempts, created_at, updated_at)
  VALUES (%(key)s, %(mobile)s, %(text)s, 'bn', %(kind)s, NULL, 'UCS-2', 2, 'created', 0, %(now)s, %(now)s)
  ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)
"""
START = (
    """
WITH started AS (
  INSERT INTO redemptions (id, outlet_id, wallet_id, citizen_id, programme_code, quantity, unit, operator_mobile,
    channel, request_id, status, code_hash, code_expires_at, wrong_codes, started_at, finished_at)
  VALUES (%(id)s, %(outlet)s, %(wallet)s, %(citizen)s, %(programme)s, %(q)s, %(unit)s, %(operator)s, 'api',
    %(request)s, 'awaiting_code', %(hash)s, %(expires)s, 0, %(now)s, NULL) RETURNING id),
"""
    + SMS_AND_QUESTION
    + "SELECT (SELECT id FROM started), (SELECT id FROM message)"
)
# A confirm reads with no lock, then writes in one statement on the autocommit connection:
# the redemption locked if it still awaits its code, the wallet debited if its balance is the
# one read, and the receipt, its question and the closing of the code's question written only
# if the debit happened, as registry/redemptions.py sends them on PostgreSQL.
READ = """
SELECT r.id, r.wallet_id, r.outlet_id, r.operator_mobile, r.quantity, r.unit, r.status, r.code_hash, r.code_expires_at,
  r.wrong_codes, o.name_en, o.name_bn, c.mobile, c.language, o.code, o.operator_mobile, w.balance
FROM redemptions r JOIN outlets o ON o.id = r.outlet_id JOIN citizens c ON c.id = r.citizen_id
  JOIN etoken_wallets w ON w.id = r.wallet_id
WHERE r.id = %s AND o.token_hash = %s
"""
COMPLETE = """
WITH still_awaiting AS (
  SELECT id FROM redemptions WHERE id = %(id)s AND status = 'awaiting_code' AND code_expires_at > %(now)s FOR UPDATE),
debited AS (
  UPDATE etoken_wallets SET balance = balance - %(q)s
  WHERE id = %(wallet)s AND balance >= %(q)s AND balance = %(read)s AND EXISTS (SELECT 1 FROM still_awaiting)
  RETURNING id, balance, unit),
entry AS (
  INSERT INTO etoken_ledger (wallet_id, amount, reason, outlet_id, operator_mobile, redemption_id)
  SELECT debited.id, -%(q)s, 'redeem', %(outlet)s, %(operator)s, %(id)s FROM debited),
completed AS (
  UPDATE redemptions SET status = 'completed', finished_at = %(now)s
  WHERE id = %(id)s AND EXISTS (SELECT 1 FROM debited)),
settled AS (
  UPDATE citizen_questions SET open_until = %(now)s
  WHERE id IN (SELECT id FROM citizen_questions
    WHERE kind = 'redemption_code' AND subject_id = %(id)s AND answered_at IS NULL AND open_until > %(now)s
    FOR UPDATE SKIP LOCKED)
    AND EXISTS (SELECT 1 FROM debited)),
asked AS (
  INSERT INTO citizen_questions (phone_hash, kind, subject_id, locale, asked_at, open_until)
  SELECT %(phone)s, %(kind)s, %(id)s, 'bn', %(now)s, %(until)s WHERE EXISTS (SELECT 1 FROM debited)),
message AS (
  INSERT INTO sms_messages (dedupe_key, phone, text, locale, template, campaign_id, encoding, segments, status,
    attempts, created_at, updated_at)
  SELECT %(key)s, %(mobile)s, %(text)s, 'bn', %(kind)s, NULL, 'UCS-2', 2, 'created', 0, %(now)s, %(now)s
  WHERE EXISTS (SELECT 1 FROM debited)
  ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)
SELECT balance, unit, (SELECT id FROM message) FROM debited
"""


def _autocommit() -> psycopg.Connection:
    global _autocommit_connection
    if _autocommit_connection is None or _autocommit_connection.closed:
        _autocommit_connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=True)
    return _autocommit_connection


def wake(message_id: int) -> None:
    global _redis
    if _redis is None:
        _redis = Redis.from_url(os.environ["REDIS_URL"])
    with _redis.pipeline(transaction=False) as pipe:
        pipe.rpush("floor:outbox", message_id)
        pipe.set("floor:drain", 1, nx=True, ex=60)
        pipe.execute()


def _token_hash() -> str:
    token = request.headers["Authorization"].partition(" ")[2]
    return hashlib.sha256(token.encode()).hexdigest()


def _sms(redemption_id: int, mobile: str, kind: str, text: str, now: dt.datetime) -> dict:
    return {
        "phone": hmac.new(_KEY, mobile.encode(), hashlib.sha256).hexdigest(),
        "kind": f"redemption_{kind}",
        "id": redemption_id,
        "now": now,
        "until": now + dt.timedelta(minutes=10 if kind == "code" else 7 * 24 * 60),
        "key": f"redemption:{redemption_id}:{kind}",
        "mobile": mobile,
        "text": text,
    }


@app.post("/api/outlets/redemptions")
def start() -> tuple[Response, int]:
    db = _autocommit()
    body = request.get_json()
    now = dt.datetime.now(dt.UTC)
    since = {"hour_ago": now - dt.timedelta(hours=1), "day_ago": now - dt.timedelta(days=1)}
    typed = body["beneficiary"]
    if typed.startswith("01"):
        typed = "+88" + typed
    by = BY_MOBILE if typed.startswith("+") else BY_NID
    wallet = db.execute(by, {"token": _token_hash(), "typed": typed, **since}).fetchone()
    wallet_id, programme, unit, _, _, citizen_id, mobile, _, _, _, outlet_id, _, operator, name_en, _, new_id = wallet
    code = f"{secrets.randbelow(10**6):06d}"
    quantity = Decimal(body["quantity"])
    values = {
        "outlet": outlet_id,
        "wallet": wallet_id,
        "citizen": citizen_id,
        "programme": programme,
        "q": quantity,
        "unit": unit,
        "operator": operator,
        "request": body["request_id"],
        "hash": hmac.new(_KEY, code.encode(), hashlib.sha256).hexdigest(),
        "expires": now + dt.timedelta(minutes=10),
        **_sms(new_id, mobile, "code", f"{name_en}: {quantity} {unit}. Code {code}", now),
    }
    redemption_id, message = db.execute(START, values).fetchone()
    wake(message)
    return jsonify(id=redemption_id, status="awaiting_code", quantity=str(quantity), unit=unit), 201


@app.post("/api/outlets/redemptions/<int:redemption_id>/confirm")
def confirm(redemption_id: int) -> Response:
    db = _autocommit()
    code = request.get_json()["code"]
    now = dt.datetime.now(dt.UTC)
    locked = db.execute(READ, (redemption_id, _token_hash())).fetchone()
    wallet_id, outlet_id, operator, quantity, unit, _, code_hash = locked[1:8]
    typed = hmac.new(_KEY, code.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(typed, code_hash)
    left = locked[16] - quantity
    receipt = _sms(redemption_id, locked[12], "receipt", f"{locked[10]}: {quantity} {unit}, {left} left", now)
    values = {"q": quantity, "wallet": wallet_id, "outlet": outlet_id, "operator": operator, "read": locked[16]}
    balance, unit, message = db.execute(COMPLETE, {**values, **receipt}).fetchone()
    wake(message)
    return jsonify(id=redemption_id, status="completed", balance=str(balance), unit=unit)
