"""Security headers on every page a browser renders, and the headers an error must carry.

No page has inline script or style (they are static files), so the policy can forbid both;
no page may be framed (clickjacking of the staff workspace's buttons).
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HSTS = "max-age=31536000"  # a year, once cookies are Secure (the deployment is HTTPS-only)
HTML = "text/html"


def init_app(app: Flask) -> None:
    # Read once: the hook runs on every request, USSD hops included.
    hsts = app.config["SESSION_COOKIE_SECURE"]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == HTML:
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            headers["Referrer-Policy"] = "same-origin"
            if hsts:
                headers["Strict-Transport-Security"] = HSTS
        return response


def no_store(response: Response) -> Response:
    """For pages and files with personal data: no browser or proxy keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def with_allow(response: Response, error: HTTPException) -> Response:
    """A 405 of an API's own format still lists the methods the resource supports, as
    werkzeug's own 405 does (RFC 9110, section 15.5.6)."""
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response
