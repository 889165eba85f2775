"""HTTP errors as short JSON messages in the caller's language, never an HTML stack page."""

from __future__ import annotations

from flask import Flask, jsonify
from flask_babel import gettext
from werkzeug.exceptions import HTTPException


def _message(code: int) -> str:
    messages = {
        400: gettext("The request could not be understood."),
        404: gettext("Not found."),
        405: gettext("This method is not allowed here."),
        413: gettext("The request is too large."),
        429: gettext("Too many requests; please try again later."),
    }
    return messages.get(code, gettext("Something went wrong; please try again later."))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = error.code or 500
        return jsonify(error=_message(code)), code
