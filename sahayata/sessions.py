"""Flask's signed-cookie sessions, built only for requests that carry the cookie.

Only staff pages use a session. USSD hops and SMS webhooks never send the cookie, yet
Flask's default interface builds its signer on every request and inspects the session
again on the way out; at thousands of hops a second that is measurable CPU for nothing.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class SessionOnlyWhenSent(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Most requests (every hop and webhook) send no Cookie header at all: skip parsing one.
        if "HTTP_COOKIE" not in request.environ or self.get_cookie_name(app) not in request.cookies:
            # Same as Flask for a request without the cookie: an empty session that can
            # still be written to (a login creates the cookie in save_session).
            return self.session_class() if app.secret_key else None
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        if not session and not session.modified:
            # Flask would compute every cookie setting and then set nothing. Flask-Login
            # peeks at every request's session, hence the Vary header Flask adds too.
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:  # the usual case (a USSD reply, a webhook's answer): no header set to parse
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)
