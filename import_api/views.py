"""``POST /api/v1/imports/<kind>``: a CSV or JSON-lines body, imported all or nothing.

Every answer is JSON: ``{"kind", "rows", "counts"}`` once imported, otherwise
``{"error": code, "message": text}`` with a 4xx status (422 adds every bad row's line,
column and reason). The body may be far larger than SAHAYATA_MAX_BODY_BYTES: this route
lifts Flask's per-request limit to SAHAYATA_IMPORT_MAX_BYTES and copies the stream to a
temporary file in chunks, which the runner reads as the CLI reads a file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from foundation.clock import utcnow
from foundation.db import db_session, is_lost_connection
from foundation.headers import with_allow
from import_api import audit, wording
from import_api.settings import IMPORT_MAX_BYTES
from import_api.slots import claim_token_row, import_slot
from import_api.spool import TooLarge, spool
from import_api.tokens import TokenHolder, authenticate
from registry.imports.kinds import KINDS
from registry.imports.runner import ImportFileError, ImportReport, run_import
from registry.imports.sources import RowSource, csv_rows, json_lines_rows

bp = Blueprint("import_api", __name__, url_prefix="/api/v1/imports")
log = logging.getLogger(__name__)

SOURCES: dict[str, RowSource] = {"text/csv": csv_rows, "application/x-ndjson": json_lines_rows}
RETRY_AFTER_SECONDS = 30
_LOCALES = {"bn": "bn", "en": "en"}


def _locale() -> str:
    best = request.accept_languages.best_match(("bn", "en"))
    return _LOCALES.get(best or "", current_app.config["SAHAYATA_DEFAULT_LOCALE"])


def _error(status: int, code: str, message: str, **extra: Any):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    return response


@bp.before_request
def _authenticate():
    # Before anything reads the body: this route's limit, not the web's (Flask 3.1 lets a
    # request set its own; werkzeug then refuses a larger Content-Length, or stops a
    # chunked body at the limit).
    request.max_content_length = current_app.config[IMPORT_MAX_BYTES]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    session = db_session()
    holder = authenticate(session, token.strip()) if scheme.lower() == "bearer" else None
    session.rollback()  # no transaction stays open while the body uploads
    if holder is None:
        response = _error(401, "unauthorized", wording.unauthorized(_locale()))
        response.headers["WWW-Authenticate"] = 'Bearer realm="imports"'
        return response
    g.api_token = holder
    return None


@bp.errorhandler(HTTPException)
def _http(error: HTTPException):
    return http_error(error)


def http_error(error: HTTPException):
    """The import API's answer to an HTTP error. Also for the errors its URL map raises
    under its prefix before any blueprint is chosen (a 405 for another method, a 404 for a
    path with no kind): sahayata.errors sends those here, so a ministry's system reads one
    format whatever went wrong."""
    locale = _locale()
    if isinstance(error, RequestEntityTooLarge):
        return _too_large(locale)
    if error.code == 405:
        return with_allow(_error(405, "method_not_allowed", wording.not_allowed(locale)), error)
    if error.code == 404:
        return _error(404, "unknown_kind", wording.unknown_kind(locale, ", ".join(KINDS)))
    if (error.code or 500) >= 500:
        return _internal(getattr(error, "original_exception", None), locale)
    return _error(error.code or 400, "bad_request", wording.bad_request(locale))


@bp.errorhandler(DBAPIError)
@bp.errorhandler(RedisError)
def _outage(error: Exception):
    # Before the app's own handlers, which answer in the app's format: a lost database or
    # Redis is this API's 503 (Retry-After), anything else its 500, logged here because a
    # handled exception is not logged by Flask.
    response = _internal(error, _locale())
    if response.status_code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        log.error("import API request failed", exc_info=error)
    return response


def _too_large(locale: str):
    return _error(413, "too_large", wording.too_large(locale, current_app.config[IMPORT_MAX_BYTES]))


def _internal(original: BaseException | None, locale: str):
    """A lost database or Redis is an outage to retry (503); anything else a 500 that says
    nothing of what broke (the log has it, never the body)."""
    lost = isinstance(original, OperationalError | RedisError) or is_lost_connection(original)
    if lost:
        log.warning("import API unavailable: %s", type(original).__name__)
        return _error(503, "unavailable", wording.unavailable(locale))
    return _error(500, "internal_error", wording.internal_error(locale))


def _source() -> RowSource | None:
    """The reader for the body's media type; None for any other type, a charset other than
    UTF-8, or a compressed body."""
    if request.content_encoding not in (None, "", "identity"):
        return None
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return None
    return SOURCES.get(request.mimetype)


@bp.post("/<kind>")
def post_import(kind: str):
    holder: TokenHolder = g.api_token
    started_at = utcnow()
    locale = _locale()
    session = db_session()
    size = 0

    def refuse(status: int, code: str, message: str, rows: int = 0, problems: list | None = None):
        audit.record(session, holder, kind, code, started_at, rows=rows, problems=len(problems or ()), size=size)
        extra = {} if problems is None else {"problems": problems}
        response = _error(status, code, message, **extra)
        if status == 429:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    if kind not in KINDS:
        return refuse(404, "unknown_kind", wording.unknown_kind(locale, ", ".join(KINDS)))
    # Citizens are everyone's: a citizen's household decides eligibility for every
    # ministry's programmes, and their mobile is where alerts and redemption codes go.
    if kind == "citizens" and not holder.may_import_citizens:
        response = refuse(403, "forbidden", wording.forbidden_citizens(locale))
        # RFC 6750, section 3.1: a valid token without the right for this request.
        response.headers["WWW-Authenticate"] = 'Bearer realm="imports", error="insufficient_scope"'
        return response
    source = _source()
    if source is None:
        return refuse(415, "unsupported_media_type", wording.unsupported_media_type(locale))
    limit = current_app.config[IMPORT_MAX_BYTES]
    with import_slot(holder.id) as free:
        if not free:
            return refuse(429, "busy", wording.busy(locale))
        try:
            path, size = spool(request.stream, limit)
        except (TooLarge, RequestEntityTooLarge):
            return refuse(413, "too_large", wording.too_large(locale, limit))
        try:
            if not claim_token_row(session, holder.id):
                return refuse(429, "busy", wording.busy(locale))
            report = _run(session, kind, path, source, holder)
        except ImportFileError as exc:
            problems = _file_problems(exc, path)
            return refuse(422, "invalid_rows", wording.invalid_rows(locale, len(problems)), problems=problems)
        finally:
            path.unlink(missing_ok=True)
    if not report.committed:
        problems = [{"line": p.line, "column": p.column, "reason": p.reason} for p in report.problems]
        message = wording.invalid_rows(locale, len(problems))
        return refuse(422, "invalid_rows", message, rows=report.rows_read, problems=problems)
    counts = {"read": report.rows_read, "imported": report.rows_written}
    audit.record(session, holder, kind, "imported", started_at, rows=report.rows_read, size=size, counts=counts)
    return jsonify(kind=kind, rows=report.rows_read, counts=counts)


def _file_problems(error: ImportFileError, path: Path) -> list[dict[str, Any]]:
    """A body that cannot be read at all, as problems: each missing column on the header's
    line 1; a CSV that cannot be read on, on the line where it stopped; anything else (not
    UTF-8) on line 0, the body as a whole."""
    if error.missing:
        return [{"line": 1, "column": column, "reason": "missing column"} for column in error.missing]
    return [{"line": error.line, "column": "", "reason": str(error).replace(path.name, "the body")}]


def _run(session, kind: str, path: Path, source: RowSource, holder: TokenHolder) -> ImportReport:
    """The CLI's import, all or nothing, of the token's ministry's programmes only."""
    return run_import(
        session,
        kind,
        path,
        source=source,
        programmes=holder.programmes,
        batch_size=current_app.config["SAHAYATA_IMPORT_BATCH_SIZE"],
    )
