"""HTTP errors as short JSON messages in the caller's language, never an HTML stack page."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from flask_babel import gettext
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from foundation.db import is_lost_connection
from import_api.views import bp as import_api_bp
from import_api.views import http_error as import_api_http_error
from outlet_api.views import bp as outlet_api_bp
from outlet_api.views import http_error as outlet_api_http_error

# APIs that answer every error in their own format. Their blueprints' handlers cannot see
# what the URL map refuses before a blueprint is chosen (a 405 for another method, a 404
# for a path under theirs), so those are routed to them here by the path's prefix.
_OWN_FORMATS: tuple[tuple[str, Callable[[HTTPException], Response]], ...] = (
    (import_api_bp.url_prefix or "", import_api_http_error),
    (outlet_api_bp.url_prefix or "", outlet_api_http_error),
)


def _own_format(path: str) -> Callable[[HTTPException], Response] | None:
    for prefix, answer in _OWN_FORMATS:
        if path == prefix or path.startswith(prefix + "/"):
            return answer
    return None


def _message(code: int) -> str:
    messages = {
        400: gettext("The request could not be understood."),
        403: gettext("Access denied."),
        404: gettext("Not found."),
        405: gettext("This method is not allowed here."),
        413: gettext("The request is too large."),
        429: gettext("Too many requests; please try again later."),
    }
    return messages.get(code, gettext("Something went wrong; please try again later."))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        answer = _own_format(request.path)
        if answer is not None:
            return answer(error)
        code = error.code or 500
        return jsonify(error=_message(code)), code

    @app.errorhandler(RedisError)
    def _redis_down(error: RedisError):
        # Sign-in throttles, replay marks and sessions live in Redis: without it the request
        # cannot be answered safely, but it is an outage to retry, not a fault.
        app.logger.warning("Redis unavailable: %s", type(error).__name__)
        return jsonify(error=gettext("Service unavailable. Please try again later.")), 503

    @app.errorhandler(DBAPIError)
    def _database_connection_lost(error: DBAPIError):
        # A pooled connection that died within a moment of its last use is found by the
        # request's own statement (foundation/db.py pings only idle ones). SQLAlchemy has then
        # dropped every older connection, so the same request again will be served.
        if not is_lost_connection(error):
            raise error
        app.logger.warning("database connection lost mid-request; the pool reconnects")
        response = jsonify(error=gettext("Service unavailable. Please try again later."))
        response.headers["Retry-After"] = "1"
        return response, 503
