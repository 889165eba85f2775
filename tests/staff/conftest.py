import re

import pytest

from foundation.jobs import redis_connection
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from tests.factories import STAFF_PASSWORD, make_citizen, make_filing, make_staff

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class StaffClient:
    """A browser-like client: signs in, and sends each form with the token its page carried."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    @staticmethod
    def _forget_signed_in_user() -> None:
        """The tests hold an app context open (for their database session), and Flask reuses
        it for requests, so the per-request caches of the signed-in user (Flask-Login), the
        CSRF token (Flask-WTF) and the locale (Flask-Babel) would leak from one request to
        the next; in production each request has its own context."""
        from flask import g, has_app_context
        from flask_babel import refresh

        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
            refresh()

    def get(self, path, **kwargs):
        self._forget_signed_in_user()
        response = self.client.get(path, **kwargs)
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path, data=None, *, token=True, **kwargs):
        if not self.token:
            self.get("/staff/login")
        form = {**(data or {}), **({"csrf_token": self.token} if token else {})}
        self._forget_signed_in_user()
        return self.client.post(path, data=form, **kwargs)

    def sign_in(self, user, password=STAFF_PASSWORD):
        self.get("/staff/login")
        return self.post("/staff/login", {"email": user.email, "password": password})


@pytest.fixture(autouse=True)
def no_earlier_failures(app, production_app):
    """Failed sign-ins are counted in Redis, which outlives a test (and, on a real server, a
    run): one test's failures must not throttle the next."""

    def clear():
        for each in (app, production_app):
            redis = redis_connection(each)
            for key in redis.scan_iter("staff:login-failures:*"):
                redis.delete(key)

    clear()
    yield
    clear()


@pytest.fixture
def staff_client(app):
    def make(user=None):
        client = StaffClient(app.test_client())
        if user is not None:
            response = client.sign_in(user)
            assert response.status_code == 302, response.get_data(as_text=True)
            client.get("/staff/")
        return client

    return make


@pytest.fixture
def production_staff_client(production_app):
    """make(user=None, environ=None): a browser on a production start, signed in as ``user``."""

    def make(user=None, environ=None):
        client = StaffClient(production_app.test_client())
        if user is not None:
            environ = environ or {}
            client.get("/staff/login", environ_base=environ)
            response = client.post(
                "/staff/login", {"email": user.email, "password": STAFF_PASSWORD}, environ_base=environ
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def routed_case(session, no_dispatch):
    """make(**filing): a complaint filed by a registered citizen and routed (MOSW for OAA)."""

    def make(district="Cumilla", **changes):
        citizen = make_citizen(session, mobile="+8801712345678", district=district)
        session.commit()
        grievance = file_grievance(session, make_filing(citizen_id=citizen.id, **changes)).grievance
        route_grievance(grievance.id)
        session.refresh(grievance)
        return grievance

    return make


@pytest.fixture
def officer(session):
    user = make_staff(session, "officer")
    session.commit()
    return user
