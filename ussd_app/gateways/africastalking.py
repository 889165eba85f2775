"""Africa's Talking: form posts with the whole `*`-joined input history; replies `CON …`/`END …`."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, abort

from ussd_app.gateways.common import caller, engine, guarded, run, small_form

bp = Blueprint("ussd_africastalking", __name__)

NAME = "africastalking"
MAX_HISTORY = 2000  # a 180-second session cannot type more


@bp.post("/ussd/africastalking")
def hop() -> Response:
    config = guarded(NAME)
    form = small_form()
    if "text" not in form and "status" in form:
        return _session_ended(form)
    text = form.get("text", "")
    if len(text) > MAX_HISTORY:
        abort(400)
    inputs = text.split("*") if text else []
    reply = run(
        config,
        form.get("sessionId"),
        caller(form.get("phoneNumber")),
        inputs[-1] if inputs else None,
        # The whole history identifies the hop: a retried request carries the same text.
        hop_key=text,
    )
    response = Response(("END " if reply.end else "CON ") + reply.text, mimetype="text/plain")  # Flask adds the charset
    # For the simulator and for debugging a gateway: how much of the screen budget was used.
    response.headers["X-Ussd-Budget"] = str(config.budget.measure(reply.text))
    return response


def _session_ended(form: Mapping[str, str]) -> Response:
    """The end-of-session notification: counts where callers dropped or timed out."""
    engine().session_ended(NAME, form.get("sessionId", ""), status=form.get("status", ""))
    return Response("OK", mimetype="text/plain")
