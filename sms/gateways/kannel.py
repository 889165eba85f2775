"""Kannel: inbound SMS from its sms-service (GET /sms/kannel/inbound) and delivery reports
from the dlr-url we give each message (GET /sms/kannel/dlr).

The reply is not the HTTP answer (the sms-service runs with max-messages = 0): it is a
message of its own, sent through sendsms like any other, so it is retried on failure and
its delivery report is recorded.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from flask import Response, abort, current_app, request

from registry.masking import mask_mobile
from registry.validation import InvalidValue, normalise_mobile
from sahayata.db import db_session
from sms.gateways import bp
from sms.models import Message, MessageStatus
from sms.providers.kannel import dlr_signature
from sms.receipts import apply_receipt
from sms.replies import answer
from sms.sending import create_message, queue_send

# Kannel's report types (%d): 1 delivered, 2 undelivered, 4 queued at the SMSC, 8 accepted
# by the SMSC, 16 rejected by the SMSC.
KANNEL_REPORTS = {
    1: MessageStatus.DELIVERED,
    2: MessageStatus.UNDELIVERED,
    8: MessageStatus.SENT,
    16: MessageStatus.FAILED,
}


def _check_inbound_key() -> None:
    """Kannel's sms-service carries a shared key in its URL; without one configured, refuse."""
    expected = current_app.config["KANNEL_INBOUND_KEY"]
    if not expected or not hmac.compare_digest(request.args.get("key", ""), expected):
        abort(403)


def _inbound_text() -> str:
    """The message text in whatever charset Kannel reports (%C): UTF-8 when smsbox recodes
    (mo-recode), else the raw bytes, e.g. UTF-16BE for a Bangla message."""
    charset = (request.args.get("charset") or "UTF-8").strip()
    if charset.upper().replace("-", "") == "UTF8":
        return request.args.get("text", "")
    raw = parse_qs(request.query_string.decode("ascii", "replace"), encoding="latin-1").get("text", [""])[0]
    try:
        return raw.encode("latin-1").decode(charset)
    except (LookupError, UnicodeError):
        abort(400, description="text is not valid in the charset given")


@bp.get("/sms/kannel/inbound")
def kannel_inbound() -> Response:
    _check_inbound_key()
    try:
        phone = normalise_mobile(request.args.get("sender", ""))
    except InvalidValue:
        abort(400, description="sender is not a Bangladeshi mobile number")
    session = db_session()
    reply = answer(session, phone, _inbound_text()[:1600])
    message_id = create_message(
        session, phone=phone, text=reply.text, locale=reply.locale, template="reply", dedupe_key=None, via="kannel"
    )
    session.commit()
    current_app.logger.info("SMS command from %s answered (message %s)", mask_mobile(phone), message_id)
    queue_send(message_id)
    return Response("", 200, mimetype="text/plain")


@bp.get("/sms/kannel/dlr")
def kannel_dlr() -> Response:
    """A delivery report: believed only with our signature over the reference."""
    reference = request.args.get("ref", "")
    expected = dlr_signature(current_app.config["SECRET_KEY"], reference)
    if not hmac.compare_digest(request.args.get("sig", ""), expected):
        abort(403)
    try:
        status = KANNEL_REPORTS.get(int(request.args.get("type", "")))
    except ValueError:
        status = None
    if status is None:
        return Response("", 204)  # queued at the SMSC and the like: nothing to record
    session = db_session()
    message = session.get(Message, int(reference.partition(".")[0]))
    if message is not None and message.reference == reference:  # not a reused id's receipt
        apply_receipt(session, message, status, f"Kannel report {request.args.get('type')}")
    return Response("", 204)
