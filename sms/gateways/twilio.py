"""Twilio: inbound SMS (POST /sms/twilio/inbound, answered with TwiML) and delivery
receipts (POST /sms/twilio/status), each signed by Twilio."""

from __future__ import annotations

from flask import Response, abort, current_app, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from foundation.db import db_session
from outbound_sms.models import Message, MessageStatus
from outbound_sms.receipts import apply_receipt
from registry.validation import InvalidValue, normalise_mobile
from sms.gateways import bp
from sms.gateways.replays import InboundOnce, valid_message_id
from sms.replies import answer

TWILIO_STATUSES = {
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def _check_twilio_signature() -> None:
    """403 unless X-Twilio-Signature matches this request at its public URL.

    Behind a proxy the URL Twilio signed is not the one Flask sees, so it is built from
    TWILIO_PUBLIC_BASE_URL (the address given to Twilio) plus the path and query."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    base = current_app.config["TWILIO_PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
    url = base + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        abort(403)


@bp.post("/sms/twilio/inbound")
def twilio_inbound() -> Response:
    """A citizen's SMS, answered in TwiML. The same MessageSid a second time (Twilio's
    retry, or a captured request sent again) gets an empty answer and changes nothing."""
    _check_twilio_signature()
    try:
        phone = normalise_mobile(request.form.get("From", ""))
    except InvalidValue:
        abort(400)
    sid = request.form.get("MessageSid", "")
    if not valid_message_id(sid):
        abort(400)  # Twilio always sends one; without it a replay could not be recognised
    twiml = MessagingResponse()
    with InboundOnce("twilio", sid) as once:
        if once.first:
            twiml.message(answer(db_session(), phone, request.form.get("Body", "")[:1600]).text)
        else:
            current_app.logger.info("Twilio message %s seen before: not acted on again", sid)
    return Response(str(twiml), mimetype="application/xml")


@bp.post("/sms/twilio/status")
def twilio_status() -> Response:
    """A delivery receipt: moves the message forward only; a late or repeated one is a no-op."""
    _check_twilio_signature()
    status = TWILIO_STATUSES.get(request.form.get("MessageStatus", ""))
    sid = request.form.get("MessageSid", "")
    if status is None or not sid:
        return Response("", 204)  # queued/accepted and the like: nothing to record
    session = db_session()
    message = session.scalars(
        select(Message).where(Message.provider == "twilio", Message.provider_message_id == sid)
    ).first()
    apply_receipt(session, message, status, f"Twilio error {request.form.get('ErrorCode', '')}".strip())
    return Response("", 204)
