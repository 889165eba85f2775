"""Kannel: inbound SMS from its sms-service (GET /sms/kannel/inbound) and delivery reports
from the dlr-url we give each message (GET /sms/kannel/dlr).

The reply is not the HTTP answer (the sms-service runs with max-messages = 0): it is a
message of its own, sent through sendsms like any other, so it is retried on failure and
its delivery report is recorded.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

from flask import Response, abort, current_app, request
from redis.exceptions import RedisError

from foundation.db import db_session
from foundation.masking import mask_mobile
from outbound_sms.models import Message, MessageStatus
from outbound_sms.providers.kannel import dlr_signature_valid
from outbound_sms.receipts import apply_receipt
from outbound_sms.sending import create_message, queue_send
from registry.validation import InvalidValue, normalise_mobile
from sms.gateways import bp
from sms.gateways.replays import InboundOnce, valid_message_id
from sms.replies import answer

# Kannel's report types (%d): 1 delivered, 2 undelivered, 4 queued at the SMSC, 8 accepted
# by the SMSC, 16 rejected by the SMSC.
KANNEL_REPORTS = {
    "1": MessageStatus.DELIVERED,
    "2": MessageStatus.UNDELIVERED,
    "8": MessageStatus.SENT,
    "16": MessageStatus.FAILED,
}

# Our reference ("<message id>.<microseconds>", outbound_sms.models.message_reference) and Kannel's
# report type, in ASCII digits only: int() and \d would take other scripts' digits ("١").
REFERENCE = re.compile(r"([0-9]{1,18})\.[0-9]{1,20}")
MAX_MESSAGE_ID = 2**31 - 1  # the id column's range: a larger one is no message of ours (and PostgreSQL refuses it)
REPORT_TYPE = re.compile(r"[0-9]{1,3}")


# What smsbox reports in %C for a message it did not recode to UTF-8: UCS-2 as UTF-16BE,
# GSM-7 and 8-bit text as a single-byte set.
KANNEL_CHARSETS = frozenset({"UTF-16BE", "UTF-16", "ISO-8859-1", "WINDOWS-1252", "US-ASCII"})


def _check_inbound_key() -> None:
    """Kannel's sms-service carries a shared key in its URL; without one configured, refuse."""
    expected = current_app.config["KANNEL_INBOUND_KEY"]
    # As bytes: compare_digest refuses a str with non-ASCII characters (a 500 for "?key=é").
    if not expected or not hmac.compare_digest(request.args.get("key", "").encode(), expected.encode()):
        abort(403)


def _inbound_text() -> str:
    """The message text in whatever charset Kannel reports (%C): UTF-8 when smsbox recodes
    (mo-recode), else the raw bytes, e.g. UTF-16BE for a Bangla message."""
    charset = (request.args.get("charset") or "UTF-8").strip()
    if charset.upper().replace("-", "") == "UTF8":
        return request.args.get("text", "")
    if charset.upper() not in KANNEL_CHARSETS:
        # Python would decode with any of its codecs (unicode_escape makes lone surrogates).
        abort(400, description="charset is not one Kannel reports")
    raw = parse_qs(request.query_string.decode("ascii", "replace"), encoding="latin-1").get("text", [""])[0]
    try:
        return raw.encode("latin-1").decode(charset)
    except (LookupError, UnicodeError):
        abort(400, description="text is not valid in the charset given")


def _kannel_message_id() -> str:
    """Kannel's own id for the message (%I in the sms-service URL): the same on each retry."""
    value = request.args.get("id", "")
    if not valid_message_id(value):
        current_app.logger.warning("Kannel inbound without a message id: the sms-service get-url needs id=%I")
        abort(400, description="id is missing: add id=%I to the sms-service get-url")
    return value


@bp.get("/sms/kannel/inbound")
def kannel_inbound() -> Response:
    """A citizen's SMS; the reply goes out as a message of its own. The same Kannel id a
    second time (smsbox's retry, or a request sent again) is answered 200 and ignored."""
    _check_inbound_key()
    try:
        phone = normalise_mobile(request.args.get("sender", ""))
    except InvalidValue:
        abort(400, description="sender is not a Bangladeshi mobile number")
    kannel_id = _kannel_message_id()
    text = _inbound_text()[:1600]
    with InboundOnce("kannel", kannel_id) as once:
        if not once.first:
            current_app.logger.info("Kannel message %s seen before: not acted on again", kannel_id)
            return Response("", 200, mimetype="text/plain")
        message_id = _answer(phone, text)
    try:
        queue_send(message_id)
    except RedisError:
        # The command is acted on and its reply committed: a 5xx now would have smsbox send it
        # again, and with Redis down no replay mark stops a second complaint. The sweeper
        # sends the reply.
        current_app.logger.warning("Redis unavailable: reply %s waits for the outbox sweeper", message_id)
    return Response("", 200, mimetype="text/plain")


def _answer(phone: str, text: str) -> int:
    """Act on the command and commit its reply as a message to send; returns the message id."""
    session = db_session()
    reply = answer(session, phone, text)
    message_id = create_message(
        session, phone=phone, text=reply.text, locale=reply.locale, template="reply", dedupe_key=None, via="kannel"
    )
    session.commit()
    current_app.logger.info("SMS command from %s answered (message %s)", mask_mobile(phone), message_id)
    return message_id


@bp.get("/sms/kannel/dlr")
def kannel_dlr() -> Response:
    """A delivery report: believed only with our signature over the reference (under
    SECRET_KEY, or a fallback key for reports of messages sent before a rotation)."""
    reference, kind = request.args.get("ref", ""), request.args.get("type", "")
    shape = REFERENCE.fullmatch(reference)
    if shape is None or REPORT_TYPE.fullmatch(kind) is None:
        abort(400, description="ref or type is malformed")
    secrets = [current_app.config["SECRET_KEY"], *current_app.config["SECRET_KEY_FALLBACKS"]]
    if not dlr_signature_valid(secrets, reference, request.args.get("sig", "")):
        abort(403)
    status = KANNEL_REPORTS.get(kind)
    if status is None:
        return Response("", 204)  # queued at the SMSC and the like: nothing to record
    message_id = int(shape.group(1))
    if message_id > MAX_MESSAGE_ID:
        return Response("", 204)
    session = db_session()
    message = session.get(Message, message_id)
    if message is not None and message.reference == reference:  # not a reused id's receipt
        apply_receipt(session, message, status, f"Kannel report {kind}")
    return Response("", 204)
