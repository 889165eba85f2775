"""A basic phone in the browser (/simulator) and in the terminal (`flask --app wsgi ussd dial`).

Both dial through the real gateway endpoints, so what they show is exactly what a gateway
would get: Africa's Talking's synchronous `CON …`/`END …` answers, or the screens the bdapps
adapter posts to its platform's send URL, which in development points at this simulator's
own receiver (/simulator/bdapps/send) standing in for the platform.

SMS go in through the real Kannel inbound endpoint (over HTTP, via the app's test client:
a channel never imports another channel's code). Their replies go back through Kannel's
sendsms, which in development is this simulator's receiver (/simulator/kannel/sendsms);
alerts come out through the console provider.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, url_for
from flask.cli import AppGroup
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import TestResponse

from foundation.jobs import jobs_run_inline, redis_connection
from registry.validation import InvalidValue, normalise_mobile

bp = Blueprint(
    "simulator", __name__, template_folder="templates", static_folder="static", static_url_path="/simulator/static"
)
ussd_cli = AppGroup("ussd", help="USSD tools.")

GATEWAYS = ("africastalking", "bdapps")
SERVICE_CODE = "*123#"
SESSION_PREFIX = "sim-"
BDAPPS_SEND_PATH = "/simulator/bdapps/send"
BDAPPS_SCREEN_TTL = 180  # seconds: a USSD session's own lifetime
BDAPPS_WAIT = 10.0  # seconds the terminal waits for a bdapps screen to arrive
MAX_SMS_TEXT = 1600  # what the Kannel endpoint reads of a message


@bp.before_request
def _only_where_enabled():
    # The simulator can dial as any number and read its SMS: a development tool only.
    if not current_app.config["SAHAYATA_SIMULATOR"]:
        abort(404)


# -- session ids this simulator started ----------------------------------------------------
# The hang-up endpoint ends a session and deletes its phone's resume point. A session id is
# not a secret (gateways number them, and the simulator's used to come from the browser),
# so the endpoint believes only ids it minted itself: a random part and our signature over
# it and the gateway, under SECRET_KEY. A real gateway's session can never be hung up here.


def _signature(gateway: str, nonce: str) -> str:
    key = hashlib.sha256(b"sahayata.simulator.session\x00" + current_app.config["SECRET_KEY"].encode()).digest()
    digest = hmac.new(key, f"{gateway}\x00{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def mint_session_id(gateway: str) -> str:
    nonce = secrets.token_hex(8)
    return f"{SESSION_PREFIX}{nonce}.{_signature(gateway, nonce)}"


def is_minted(gateway: str, session_id: str) -> bool:
    nonce, dot, signature = session_id.removeprefix(SESSION_PREFIX).partition(".")
    if not session_id.startswith(SESSION_PREFIX) or not dot or gateway not in GATEWAYS:
        return False
    return hmac.compare_digest(signature.encode(), _signature(gateway, nonce).encode())


def _minted_session() -> tuple[str, str]:
    """The posted gateway and session id, or 403 unless this simulator minted that id."""
    gateway, session_id = request.form.get("gateway", ""), request.form.get("sessionId", "")
    if gateway not in GATEWAYS:
        abort(400, description="gateway")
    if not is_minted(gateway, session_id):
        abort(403)
    return gateway, session_id


# -- the browser's phone --------------------------------------------------------------------


@bp.get("/simulator")
def simulator():
    config = current_app.config
    return render_template(
        "simulator.html",
        bdapps_ready=urlsplit(config["BDAPPS_USSD_SEND_URL"]).path == BDAPPS_SEND_PATH,
        bdapps_send_url=url_for("simulator.bdapps_send", _external=True),
        sms_ready=bool(config["KANNEL_INBOUND_KEY"]),
        replies_here=urlsplit(config["KANNEL_SENDSMS_URL"]).path == KANNEL_SENDSMS_PATH,
        kannel_sendsms_url=url_for("simulator.kannel_sendsms", _external=True),
    )


@bp.post("/simulator/session")
def new_session():
    """A session id for the next dial (see mint_session_id)."""
    gateway = request.form.get("gateway", "")
    if gateway not in GATEWAYS:
        abort(400, description="gateway")
    return jsonify(sessionId=mint_session_id(gateway))


@bp.post("/simulator/hangup")
def hang_up():
    """The red key: the session ends on the server, so the next dial starts at the menu."""
    gateway, session_id = _minted_session()
    current_app.extensions["sahayata.ussd"].hang_up(gateway, session_id)
    return "", 204


# -- bdapps: the simulator plays the platform's send URL ------------------------------------


def _bdapps_screens_key(session_id: str) -> str:
    return f"simulator:bdapps:{session_id}"


@bp.post(BDAPPS_SEND_PATH)
def bdapps_send():
    """What the bdapps platform's send URL receives (ussd_app.gateways.bdapps.send_screen),
    kept for the simulator to show. Like the platform, it checks the application's
    credentials; it keeps screens of simulator sessions only."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    config = current_app.config
    credentials = (str(payload.get("applicationId", "")), str(payload.get("password", "")))
    expected = (config["BDAPPS_APP_ID"], config["BDAPPS_APP_PASSWORD"])
    if not all(hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(credentials, expected, strict=True)):
        return jsonify(statusCode="E1313", statusDetail="Authentication failed"), 401
    session_id = str(payload.get("sessionId", ""))
    if not is_minted("bdapps", session_id):
        abort(403)
    key = _bdapps_screens_key(session_id)
    with redis_connection().pipeline(transaction=False) as pipe:
        pipe.rpush(key, json.dumps(payload, ensure_ascii=False))
        pipe.expire(key, BDAPPS_SCREEN_TTL)
        pipe.execute()
    return jsonify(statusCode="S1000", statusDetail="Success")


def next_bdapps_screen(session_id: str) -> dict | None:
    """The oldest screen the platform received for this session and nobody showed yet."""
    raw = redis_connection().lpop(_bdapps_screens_key(session_id))
    if raw is None:
        return None
    screen = json.loads(raw)
    # The page shows what the platform received, minus the application's password.
    return {name: value for name, value in screen.items() if name != "password"}


@bp.post("/simulator/bdapps/screen")
def bdapps_screen():
    _, session_id = _minted_session()
    return jsonify(screen=next_bdapps_screen(session_id))


# -- SMS ------------------------------------------------------------------------------------


def _form_phone() -> str:
    try:
        return normalise_mobile(request.form.get("phone", ""))
    except InvalidValue:
        abort(400, description="phone")


KANNEL_SENDSMS_PATH = "/simulator/kannel/sendsms"
KANNEL_SENT_KEY = "simulator:kannel:sent"
KANNEL_SENT_KEEP = 200


@bp.get(KANNEL_SENDSMS_PATH)
def kannel_sendsms():
    """What Kannel's sendsms interface receives (outbound_sms.providers.kannel), kept for the
    simulator to show: a reply goes back the way its command came, so the replies to the
    SMS panel's messages arrive here when KANNEL_SENDSMS_URL points at this path. Like
    Kannel's sendsms-user, it checks the username and password."""
    config = current_app.config
    given = (request.args.get("username", ""), request.args.get("password", ""))
    expected = (config["KANNEL_USERNAME"], config["KANNEL_PASSWORD"])
    if not all(hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(given, expected, strict=True)):
        return "Authorization failed for sendsms", 403, {"Content-Type": "text/plain"}
    message = {"to": request.args.get("to", ""), "text": request.args.get("text", "")}
    with redis_connection().pipeline(transaction=False) as pipe:
        pipe.lpush(KANNEL_SENT_KEY, json.dumps(message, ensure_ascii=False))
        pipe.ltrim(KANNEL_SENT_KEY, 0, KANNEL_SENT_KEEP - 1)
        pipe.execute()
    return "0: Accepted for delivery", 202, {"Content-Type": "text/plain"}


@bp.post("/simulator/sms")
def simulator_sms():
    """What one phone received (POST: no number in access logs): the alerts the console
    provider sent, and the replies Kannel's sendsms (played by this simulator) was given."""
    # The console provider belongs to the SMS pipe, not to the SMS channel; the simulator
    # reads its list to show what "the phone" received.
    from outbound_sms.providers.console import ConsoleProvider

    number = _form_phone()
    alerts = [m["text"] for m in ConsoleProvider(redis_connection()).recent(200) if m["to"] == number]
    sent = (json.loads(raw) for raw in redis_connection().lrange(KANNEL_SENT_KEY, 0, -1))
    replies = [m["text"] for m in sent if _same_phone(m["to"], number)]
    return jsonify(messages=alerts[:10], replies=replies[:10])


def _same_phone(raw: str, number: str) -> bool:
    try:
        return normalise_mobile(raw) == number
    except InvalidValue:
        return False


@bp.post("/simulator/sms/send")
def simulator_sms_send():
    """An SMS from the phone, delivered as Kannel's sms-service delivers one (the reply
    then goes out like any other message, and shows in the list above)."""
    number = _form_phone()
    text = request.form.get("text", "").strip()
    if not text or len(text) > MAX_SMS_TEXT:
        abort(400, description="text")
    key = current_app.config["KANNEL_INBOUND_KEY"]
    if not key:
        return jsonify(error="Set KANNEL_INBOUND_KEY (any value in development) to send SMS."), 409
    response = kannel_inbound(current_app, key, number, text)
    if response.status_code != 200:
        return jsonify(error=f"Kannel inbound answered {response.status_code}"), 502
    return "", 204


def kannel_inbound(app: Flask, key: str, sender: str, text: str) -> TestResponse:
    """GET the inbound endpoint with the query Kannel's sms-service sends (deploy/kannel's
    get-url: key, id=%I, sender=%p, receiver=%P, text=%a, charset=%C, coding=%c; smsbox
    recodes to UTF-8)."""
    query = {
        "key": key,
        "id": str(uuid.uuid4()),  # %I: Kannel's own id for the message
        "sender": sender,
        "receiver": app.config["KANNEL_FROM"],
        "text": text,
        "charset": "UTF-8",
        "coding": "0" if text.isascii() else "2",
    }
    return app.test_client().get("/sms/kannel/inbound", query_string=query)


# -- the terminal's phone -------------------------------------------------------------------

SHARED_REDIS_NOTE = (
    "Sessions, resume points and SMS live in the configured Redis (REDIS_URL), so a running "
    "server's simulator shows them; with REDIS_URL unset each process has its own embedded "
    "Redis and shares nothing."
)


@ussd_cli.command(
    "dial", help=f"Dial the USSD service as PHONE and type answers; an empty line or EOF hangs up. {SHARED_REDIS_NOTE}"
)
@click.argument("phone")
@click.option(
    "--gateway",
    type=click.Choice(GATEWAYS),
    default="africastalking",
    show_default=True,
    help="bdapps: ASCII-only romanized screens, sent to BDAPPS_USSD_SEND_URL (with REDIS_URL set, by a "
    f"worker, so point it at a running server's {BDAPPS_SEND_PATH}).",
)
def dial(phone: str, gateway: str) -> None:
    try:
        number = normalise_mobile(phone)
    except InvalidValue as exc:
        raise click.ClickException(str(exc)) from None
    app = current_app._get_current_object()
    session_id = mint_session_id(gateway)
    hops = (
        AfricasTalkingDial(app, session_id, number)
        if gateway == "africastalking"
        else BdappsDial(app, session_id, number)
    )
    with hops.connected():
        answer: str | None = None
        while True:
            text, budget, end = hops.hop(answer)
            click.echo(f"---- [{budget}] ----")
            click.echo(text)
            if end:
                return
            answer = _typed_answer()
            if not answer:
                app.extensions["sahayata.ussd"].hang_up(gateway, session_id)
                click.echo("(hung up)")
                return


def _typed_answer() -> str:
    """The next answer; end of input (EOF, Ctrl-C) is a hang-up like an empty line."""
    try:
        return click.prompt(">", default="", show_default=False, prompt_suffix=" ").strip()
    except click.exceptions.Abort:
        click.echo()
        return ""


class _QuietRequests(WSGIRequestHandler):
    def log_request(self, *_args: object) -> None:
        pass  # the terminal shows screens, not the receiver's access log


class AfricasTalkingDial:
    """Hops through /ussd/africastalking: the whole `*`-joined history each time."""

    def __init__(self, app: Flask, session_id: str, number: str) -> None:
        self.client = app.test_client()
        self.session_id, self.number = session_id, number
        self.history: list[str] = []

    @contextmanager
    def connected(self) -> Iterator[None]:
        yield

    def hop(self, answer: str | None) -> tuple[str, str, bool]:
        if answer is not None:
            self.history.append(answer)
        form = {"sessionId": self.session_id, "serviceCode": SERVICE_CODE, "phoneNumber": self.number}
        response = self.client.post("/ussd/africastalking", data={**form, "text": "*".join(self.history)})
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            raise click.ClickException(f"gateway error {response.status_code}: {body}")
        kind, _, text = body.partition(" ")
        return text, response.headers.get("X-Ussd-Budget", ""), kind == "END"


class BdappsDial:
    """Hops through /ussd/bdapps; each screen is read from what the send URL received."""

    def __init__(self, app: Flask, session_id: str, number: str) -> None:
        self.app = app
        self.client = app.test_client()
        self.session_id = session_id
        self.address = "tel:" + number.removeprefix("+")
        self.requests = 0

    @contextmanager
    def connected(self) -> Iterator[None]:
        """With jobs run inline (embedded Redis) this process sends the screens itself, so
        it serves its own receiver for them; otherwise a worker sends them to the
        configured BDAPPS_USSD_SEND_URL, which must be a running server's receiver."""
        if not jobs_run_inline(self.app):
            yield
            return
        server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietRequests)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        saved = self.app.config["BDAPPS_USSD_SEND_URL"]
        self.app.config["BDAPPS_USSD_SEND_URL"] = f"http://127.0.0.1:{server.server_port}{BDAPPS_SEND_PATH}"
        try:
            yield
        finally:
            self.app.config["BDAPPS_USSD_SEND_URL"] = saved
            server.shutdown()
            thread.join(timeout=10)

    def hop(self, answer: str | None) -> tuple[str, str, bool]:
        self.requests += 1
        body = {
            "message": SERVICE_CODE if answer is None else answer,
            "ussdOperation": "mo-init" if answer is None else "mo-cont",
            "sessionId": self.session_id,
            "sourceAddress": self.address,
            "applicationId": self.app.config["BDAPPS_APP_ID"],
            "encoding": "440",
            "requestId": f"{self.session_id}-{self.requests}",
            "version": "1.0",
        }
        response = self.client.post("/ussd/bdapps", json=body)
        if response.status_code != 200:
            raise click.ClickException(f"gateway error {response.status_code}: {response.get_data(as_text=True)}")
        screen = self._wait_for_screen()
        return screen["message"], f"{len(screen['message'])} ASCII", screen["ussdOperation"] == "mt-fin"

    def _wait_for_screen(self) -> dict:
        deadline = time.monotonic() + BDAPPS_WAIT
        with self.app.app_context():
            while time.monotonic() < deadline:
                screen = next_bdapps_screen(self.session_id)
                if screen is not None:
                    return screen
                time.sleep(0.1)
        raise click.ClickException(
            f"no screen reached {BDAPPS_SEND_PATH} within {BDAPPS_WAIT:.0f} s: is a worker running, and does "
            f"BDAPPS_USSD_SEND_URL point at a running server's {BDAPPS_SEND_PATH}?"
        )
