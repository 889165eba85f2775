"""Logs: one JSON object a line in production, readable text on a developer's machine, and a
request id on every line written while a request is served.

A JSON line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``, ``request_id``
(when there is a request), ``message`` and, when the code gave one (``extra={"event": …}``),
``event``; an exception adds ``exception``. ``SAHAYATA_LOG_FORMAT`` chooses ``json`` or
``text``; unset, production writes JSON and development text.

The request id is the one our own reverse proxy sends in ``X-Request-ID`` (nginx's
``$request_id``), so that its log and ours can be joined, when it looks like an id; any
other request gets a new one. It goes back in the response's ``X-Request-ID`` header, where
gunicorn's access log reads it. A client's own header is believed only through the proxies
``SAHAYATA_PROXY_HOPS`` trusts, and never when it could carry a phone number or an NID.

Code never logs a full phone number or NID (foundation/masking.py; tests/conftest.py checks
every record of a test run). The formatters here mask any that slipped through anyway, as
the last line of defence: a log line is read by more people, and kept longer, than the
database it came from.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Response, request
from gunicorn import glogging

from foundation.config import PRODUCTION, UnsafeStart, mode_from_env

LOG_FORMAT = "SAHAYATA_LOG_FORMAT"
FORMATS = ("json", "text")
REQUEST_ID_HEADER = "X-Request-ID"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("sahayata_request_id", default=None)


def log_format(env: Mapping[str, str]) -> str:
    """SAHAYATA_LOG_FORMAT: json or text; unset, json in production and text in development."""
    chosen = env.get(LOG_FORMAT, "").strip().lower()
    if not chosen:
        return "json" if mode_from_env(env) == PRODUCTION else "text"  # type: ignore[arg-type]
    if chosen not in FORMATS:
        raise UnsafeStart(f"{LOG_FORMAT} must be json or text, not {chosen!r}")
    return chosen


# -- personal numbers, masked -----------------------------------------------------------------
# A Bangladeshi mobile written whole: +8801XXXXXXXXX, 8801XXXXXXXXX or 01XXXXXXXXX (operator
# prefixes 013 to 019), not inside a longer run of digits or a word (a hex id); a URL's %2B
# (an encoded +) before it counts as a boundary.
MOBILE = re.compile(r"(?:(?<=%2[Bb])|(?<![0-9A-Za-z*]))(?:\+?88)?01[3-9]\d{8}(?![0-9A-Za-z*])")
# An NID: 10 digits (smart card), 13 or 17 (older cards, the 17 with the birth year first).
NID = re.compile(r"(?<![0-9A-Za-z*])(?:\d{17}|\d{13}|\d{10})(?![0-9A-Za-z*])")


def _mask_mobile(match: re.Match[str]) -> str:
    number = match.group()
    return number[: len(number) - 8] + "*****" + number[-3:]


def _mask_nid(match: re.Match[str]) -> str:
    number = match.group()
    return "*" * (len(number) - 3) + number[-3:]


def mask_personal_numbers(text: str) -> str:
    """Any whole mobile number or NID in ``text`` masked the way foundation.masking masks
    them for display (the first digits of a mobile and the last three of each stay)."""
    if not any(character.isdigit() for character in text):
        return text
    return NID.sub(_mask_nid, MOBILE.sub(_mask_mobile, text))


# -- request ids --------------------------------------------------------------------------------
# What our proxy may send as an id: letters, digits and - . _ : , at most 64, and never a run
# of 10 digits or more (a phone number or an NID must not become a log's join key).
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_LONG_DIGIT_RUN = re.compile(r"\d{10}")


def safe_request_id(value: str | None) -> str | None:
    if value and _SAFE_REQUEST_ID.fullmatch(value) and not _LONG_DIGIT_RUN.search(value):
        return value
    return None


def new_request_id() -> str:
    """32 hex digits, drawn again when ten decimal digits came in a row (one uuid in five), so
    that every id we make is one our own proxy's header would be believed with."""
    while True:
        candidate = uuid.uuid4().hex
        if not _LONG_DIGIT_RUN.search(candidate):
            return candidate


def current_request_id() -> str | None:
    return _request_id.get()


class WithoutQueryStrings(logging.Filter):
    """The development server's request lines (logger ``werkzeug``) without their query
    strings, as gunicorn.conf.py keeps them out of gunicorn's: Kannel's inbound URL and the
    simulator's stand-in for Kannel's sendsms carry a phone number and a message in theirs."""

    _QUERY = re.compile(r"\?\S*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (self._QUERY.sub("", record.args[0]), *record.args[1:])
        return True


_without_query_strings = WithoutQueryStrings()


def _stamp_request_ids() -> None:
    """Make every record carry the request id it was logged under, as it is made: a handler
    may format it later, or on another thread, where the request is no longer current."""
    make = logging.getLogRecordFactory()
    if getattr(make, "stamps_request_ids", False):
        return

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        made.request_id = _request_id.get()
        return made

    stamped.stamps_request_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(stamped)


def init_app(app: Flask) -> None:
    """Give every request an id (the trusted proxy's, or a new one) and return it in the
    response. Register this before other request hooks, so that their logs carry it too."""
    trust_header = app.config["SAHAYATA_PROXY_HOPS"] > 0
    logging.getLogger("werkzeug").addFilter(_without_query_strings)  # once: filters are a set
    _stamp_request_ids()

    @app.before_request
    def _take_request_id() -> None:
        given = safe_request_id(request.headers.get(REQUEST_ID_HEADER)) if trust_header else None
        request.environ["sahayata.request_id_token"] = _request_id.set(given or new_request_id())

    @app.after_request
    def _send_request_id(response: Response) -> Response:
        request_id = _request_id.get()
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def _forget_request_id(_error: BaseException | None) -> None:
        token = request.environ.pop("sahayata.request_id_token", None)
        if token is not None:
            _request_id.reset(token)


# -- formatters ----------------------------------------------------------------------------------
def iso_utc(created: float) -> str:
    """A record's time as ISO 8601 in UTC, to the millisecond: 2026-11-05T04:12:09.123Z."""
    return dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# gunicorn's access-log atoms worth a field of their own. The query string (q) is left out on
# purpose: Kannel's inbound URL carries the sender's number and the message in it.
ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "s": "status",
    "B": "bytes",
    "L": "seconds",
    "{x-request-id}o": "request_id",
}


# The fields a client writes (the request id is ours, checked or made by init_app).
MASKED = ("h", "U")


class JsonFormatter(logging.Formatter):
    """One JSON object a line (see the module's docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": iso_utc(record.created),
            "level": record.levelname,
            "logger": record.name,
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            # gunicorn passes the atoms as the record's arguments: keep them as fields.
            for atom, name in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-"):
                    entry[name] = mask_personal_numbers(value) if isinstance(value, str) and atom in MASKED else value
            request_id = entry.pop("request_id", None)
            message = f"{record.args.get('m')} {record.args.get('U')} {record.args.get('s')}"
        else:
            message = record.getMessage()
        if request_id:
            entry["request_id"] = request_id
        event = getattr(record, "event", None)
        if event:
            entry["event"] = str(event)
        entry["message"] = mask_personal_numbers(message)
        if record.exc_info:
            entry["exception"] = mask_personal_numbers(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_personal_numbers(self.formatStack(record.stack_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """Development's readable line, with the time in UTC and the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_utc(record.created)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or current_request_id()
        record.request = f" [{request_id}]" if request_id else ""
        return mask_personal_numbers(super().format(record))


def formatter(chosen: str) -> logging.Formatter:
    return JsonFormatter() if chosen == "json" else TextFormatter()


def configure(chosen: str) -> None:
    """Write the process's logs to stderr in the chosen format, at INFO, unless logging is
    configured already (by a host such as a test runner): as ``logging.basicConfig`` does."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(chosen))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with its error and access logs in the chosen format (gunicorn.conf.py
    names it). Its handlers stay gunicorn's own (files, reopened on USR1); only their
    formatters change."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if log_format(os.environ) != "json":
            return  # gunicorn's own lines (gunicorn.conf.py gives the access line its time)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
