"""bdapps (Robi/Airtel Bangladesh): asynchronous. The platform posts the caller's input;
the app acknowledges at once and then posts the screen to the platform's send URL as
`mt-cont` (more to come) or `mt-fin` (the last screen). ASCII-only by default."""

from __future__ import annotations

import logging
import uuid

import requests
from flask import Blueprint, abort, current_app, jsonify
from rq import Retry

from foundation.jobs import PERSONAL_DATA_TTL, enqueue, with_app_context
from foundation.masking import mask_mobile
from ussd_app.gateways.common import caller, guarded, json_object, run, text_field

log = logging.getLogger(__name__)

bp = Blueprint("ussd_bdapps", __name__)

NAME = "bdapps"
SEND_TIMEOUT = 5  # seconds; the caller is waiting


@bp.post("/ussd/bdapps")
def hop():
    config = guarded(NAME)
    body = json_object()
    operation = body.get("ussdOperation")
    if operation not in ("mo-init", "mo-cont"):
        abort(400)
    address = body.get("sourceAddress")
    message = body.get("message")
    if not isinstance(address, str) or (message is not None and not isinstance(message, str)):
        abort(400)
    phone = caller(address.removeprefix("tel:"))
    session_id = text_field(body, "sessionId")
    request_id = text_field(body, "requestId")
    reply = run(
        config,
        session_id,
        phone,
        None if operation == "mo-init" else message,
        # requestId identifies a delivery. Without one a retry cannot be told from the same
        # key pressed twice (98, 98 to page on), so such hops are never treated as replays.
        hop_key=f"req:{request_id}" if request_id else f"unique:{uuid.uuid4()}",
    )
    enqueue(
        send_screen,
        {
            "message": reply.text,
            "sessionId": session_id,
            "destinationAddress": address,
            "ussdOperation": "mt-fin" if reply.end else "mt-cont",
        },
        retry=Retry(max=2, interval=1),  # a screen later than a few seconds is useless anyway
        # The caller's number and the screen: a failed job is not kept for RQ's year.
        failure_ttl=PERSONAL_DATA_TTL,
    )
    return jsonify(statusCode="S1000", statusDetail="Success")


@with_app_context
def send_screen(screen: dict[str, str]) -> int:
    """POST one screen to the platform (an RQ job, so the acknowledgement is not delayed)."""
    config = current_app.config
    payload = {
        "applicationId": config["BDAPPS_APP_ID"],
        "password": config["BDAPPS_APP_PASSWORD"],
        "version": "1.0",
        "encoding": "440",
        **screen,
    }
    response = requests.post(config["BDAPPS_USSD_SEND_URL"], json=payload, timeout=SEND_TIMEOUT)
    if response.status_code >= 400:
        log.warning(
            "bdapps send to %s failed: HTTP %s",
            mask_mobile(screen["destinationAddress"].removeprefix("tel:")),
            response.status_code,
        )
    response.raise_for_status()
    return response.status_code
