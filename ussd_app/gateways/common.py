"""What every gateway adapter shares: access control, the caller's number, running a hop."""

from __future__ import annotations

import functools
import hmac
import logging
import time
from collections.abc import Mapping
from urllib.parse import unquote_plus

from flask import abort, current_app, request

from foundation.config import fast_path
from foundation.db import autocommit_connection, autocommit_session, rollback_autocommit
from registry.validation import InvalidValue, normalise_mobile
from ussd_app.engine import Engine, GatewayConfig, Hop, HopDatabase
from ussd_app.state import Reply

log = logging.getLogger(__name__)

MAX_SESSION_ID = 100
MAX_INPUT = 200
URL_ENCODED = "application/x-www-form-urlencoded"
# A hop's form is about 100 bytes; anything much larger goes through Werkzeug's parser,
# whose limits (MAX_FORM_MEMORY_SIZE) answer 413.
SMALL_FORM_BYTES = 16 * 1024

# A hop opens the request's autocommit connection (and ORM session) only if a screen asks.
HOP_DATABASE = HopDatabase(autocommit_session, autocommit_connection, rollback_autocommit)


def engine() -> Engine:
    return current_app.extensions["sahayata.ussd"]


def gateway(name: str) -> GatewayConfig:
    return current_app.extensions["sahayata.ussd_gateways"][name]


def guard(config: GatewayConfig) -> None:
    """403 unless the request carries the gateway's shared secret and comes from an allowed address.

    The address is the peer's, or with SAHAYATA_PROXY_HOPS set the one our own proxies
    forwarded (Werkzeug's ProxyFix): a client's own X-Forwarded-For is never believed.
    """
    if config.closed:
        _say_closed(config.name)
        abort(403)
    if config.shared_secret and not hmac.compare_digest(_given_key(), config.shared_secret.encode()):
        abort(403)
    if config.allow_from and request.remote_addr not in config.allow_from:
        abort(403)


_closed_said: dict[str, float] = {}
CLOSED_LOG_EVERY = 60.0  # seconds: a refused caller may not fill the log


def _say_closed(name: str) -> None:
    now = time.monotonic()
    if now - _closed_said.get(name, -CLOSED_LOG_EVERY) >= CLOSED_LOG_EVERY:
        _closed_said[name] = now
        prefix = f"USSD_{name.upper()}_"
        log.warning("USSD %s refused: closed until %sSECRET or %sALLOW is set (or %sOPEN=1)", name, *[prefix] * 3)


def _given_key() -> bytes:
    """The key the request carries, as the bytes that were sent: compare_digest refuses a str
    with non-ASCII characters (a 500), and a header arrives decoded as Latin-1 by WSGI."""
    header = request.headers.get("X-Sahayata-Key")
    if header:
        return header.encode("latin-1", "replace")
    return (request.args.get("key") or "").encode("utf-8", "surrogateescape")


def guarded(name: str) -> GatewayConfig:
    """The gateway's configuration, once the request passed its access checks."""
    config = gateway(name)
    guard(config)
    return config


def json_object() -> dict:
    """The request's JSON object, or 400 (not JSON, not an object, not UTF-8)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeply nested arrays: the decoder's recursion, not a server fault
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    if any(isinstance(value, str) and not _encodable(value) for value in body.values()):
        abort(400)  # a lone surrogate ("\\ud800") decodes from JSON but can be neither stored nor sent
    return body


def text_field(body: dict, name: str) -> str:
    """A JSON field that should be a short text or number (an id, a phone): as text, or 400
    for a list or an object (which str() would turn into an "id")."""
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return ""
    if not isinstance(value, str | int):
        abort(400)
    return str(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def small_form() -> Mapping[str, str]:
    """The posted form's fields, the first value of each.

    A gateway posts a short urlencoded form on every hop. Decoding it directly skips the
    CPU of Werkzeug's form parser (stream wrapping, limit checks, a MultiDict), a few percent
    of a hop. Other content types, large or unsized bodies, and SAHAYATA_FAST_PATH=0 take
    the parser and its limits.
    """
    posted = request._get_current_object()  # one look-up through the proxy, not four
    size = posted.content_length
    limit = min(SMALL_FORM_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or SMALL_FORM_BYTES)
    if posted.mimetype != URL_ENCODED or size is None or size > limit or not fast_path():
        return posted.form  # which refuses a body over MAX_CONTENT_LENGTH with a 413
    # The body's size is known and small: read exactly that (what Werkzeug's limited stream
    # would give) and decode it as parse_qsl(keep_blank_values=True) would.
    return form_fields(posted.environ["wsgi.input"].read(size).decode("utf-8", "replace"))


def form_fields(body: str) -> dict[str, str]:
    """An urlencoded body's fields, the first value of each: ``parse_qsl(body,
    keep_blank_values=True)`` without its per-field work where nothing is encoded."""
    fields: dict[str, str] = {}
    for pair in body.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="replace")
        fields.setdefault(name, value)
    return fields


# A session's every hop brings the same number, written the same way. Only a number's
# length is remembered: padding must not make the cache hold long strings.
_normalised_mobile = functools.lru_cache(maxsize=4096)(normalise_mobile)
_MOBILE_REMEMBERED_CHARS = 24


def caller(raw: str | None) -> str:
    """The caller's number in E.164, or 400."""
    raw = raw or ""
    try:
        return _normalised_mobile(raw) if len(raw) <= _MOBILE_REMEMBERED_CHARS else normalise_mobile(raw)
    except InvalidValue:
        abort(400, description="phone")


def run(config: GatewayConfig, session_id: str | None, phone: str, text: str | None, hop_key: str) -> Reply:
    session_id = (session_id or "").strip()
    if not session_id or len(session_id) > MAX_SESSION_ID or (text and len(text) > MAX_INPUT):
        abort(400)
    return engine().hop(HOP_DATABASE, Hop(config, session_id, phone, text, hop_key))
