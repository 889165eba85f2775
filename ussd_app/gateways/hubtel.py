"""Hubtel: JSON with only the latest input each hop and a Sequence number; JSON replies."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from foundation.i18n import is_ascii_number
from ussd_app.gateways.common import caller, engine, guarded, json_object, run, text_field

bp = Blueprint("ussd_hubtel", __name__)

NAME = "hubtel"


@bp.post("/ussd/hubtel")
def hop():
    config = guarded(NAME)
    body = json_object()
    kind = str(body.get("Type") or "").lower()
    session_id = text_field(body, "SessionId")
    if kind in ("release", "timeout"):
        engine().session_ended(NAME, session_id, status=kind)
        return jsonify(Type="Release", Message="")
    if kind not in ("initiation", "response"):
        abort(400)
    sequence = body.get("Sequence")
    if not isinstance(sequence, int | str) or not is_ascii_number(str(sequence)):
        abort(400)
    message = body.get("Message")
    if message is not None and not isinstance(message, str):
        abort(400)
    reply = run(
        config,
        session_id,
        caller(text_field(body, "Mobile")),
        None if kind == "initiation" else message,
        hop_key=f"seq:{sequence}",  # Hubtel numbers each hop; a retry repeats the number
    )
    return jsonify(Type="Release" if reply.end else "Response", Message=reply.text)
