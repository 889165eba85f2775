"""Fixtures shared by the whole suite.

The suite runs against whatever DATABASE_URL / REDIS_URL name (CI runs it twice: embedded
defaults, then the real PostgreSQL and Redis). It never touches the data behind those URLs:
on PostgreSQL it creates a private database for the run and drops it afterwards, and on
Redis it uses its own database number (SAHAYATA_TEST_REDIS_DB, default 15).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from redis import Redis
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from foundation.db import database, is_lost_connection
from foundation.jobs import jobs_run_inline, redis_connection
from grievance.models import CitizenQuestion, Grievance, GrievanceEvent, OutboxEntry
from grievance.reference_data import sync_grievance_reference_data
from notices.models import Alert, Campaign
from outbound_sms.models import Message, OptOut
from registry.imports.kinds import KINDS
from registry.models import (
    Citizen,
    Enrolment,
    ETokenLedgerEntry,
    ETokenWallet,
    Household,
    Outlet,
    OutletProgramme,
    Payment,
    PaymentConfirmation,
    Redemption,
)
from registry.reference_data import sync_reference_data
from sahayata import migrate
from sahayata.app import create_app
from staff.aggregates import DashboardFigures
from staff.models import StaffAudit, StaffUser
from staff.opendata.models import OpenDataCell, OpenDataMonth
from staff.signal_store import SignalItem, SignalItemProgramme, SignalRun

# The suite's own app is a development start on the test database and Redis, which a start
# without SECRET_KEY refuses unless told it is a developer's machine. Subprocesses (workers,
# gunicorn) inherit this. Production-mode apps are built from an environment of their own.
os.environ["SAHAYATA_ENV"] = "development"
os.environ.pop("SECRET_KEY", None)
# Nobody is asked "did you receive it?" unless a test says so (tests/notices/test_confirmations.py):
# which payments the share picks depends on the key, and tests that count alerts would
# otherwise count one alert fewer per payment asked about.
os.environ["SAHAYATA_CONFIRM_SHARE"] = "0"

# What a deployment sets when it sets nothing else.
PRODUCTION_ENV = {"SECRET_KEY": "test-production-key-not-the-development-one"}

# Tables the tests fill; reference data (places, programmes, rules) stays between tests.
REGISTRY_TABLES = (
    DashboardFigures,
    SignalItemProgramme,
    SignalItem,
    SignalRun,
    OpenDataCell,
    OpenDataMonth,
    StaffAudit,
    OptOut,
    Alert,
    Message,
    Campaign,
    OutboxEntry,
    CitizenQuestion,
    GrievanceEvent,
    Grievance,
    StaffUser,
    ETokenLedgerEntry,
    Redemption,
    OutletProgramme,
    Outlet,
    ETokenWallet,
    PaymentConfirmation,
    Payment,
    Enrolment,
    Citizen,
    Household,
)


def _admin_dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL")
    if not configured or configured.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = make_url(configured)
    name = f"sahayata_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch_app(database_url, tmp_path):
    """A second, empty database of the same kind as the suite's (SQLite or PostgreSQL), for
    migrating step by step."""
    if database_url.startswith("sqlite"):
        yield create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.db'}", "REDIS_URL": None})
        return
    url = make_url(database_url)
    name = f"sahayata_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"DATABASE_URL": url.set(database=name).render_as_string(hide_password=False), "REDIS_URL": None})
    yield app
    database(app).engine.dispose()
    with psycopg.connect(_admin_dsn(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    configured = os.environ.get("REDIS_URL")
    if not configured:
        return None
    test_db = int(os.environ.get("SAHAYATA_TEST_REDIS_DB", "15"))
    return urlsplit(configured)._replace(path=f"/{test_db}").geturl()


@pytest.fixture(scope="session")
def app(database_url, redis_url):
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True})
    migrate.upgrade(app)
    with app.app_context(), database(app).sessions.begin() as session:
        sync_reference_data(session)
        sync_grievance_reference_data(session)
    return app


_production_apps: list = []


def _production_app(database_url, redis_url, **env: str):
    made = create_app(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True}, env={**PRODUCTION_ENV, **env}
    )
    _production_apps.append(made)
    return made


@pytest.fixture(scope="session")
def production_app(app, database_url, redis_url):
    """The app as a deployment starts it with SECRET_KEY set and nothing else configured
    (only the tests' own database and Redis are given). Shares the database with ``app``."""
    return _production_app(database_url, redis_url)


@pytest.fixture
def production_client(production_app):
    return production_app.test_client()


@pytest.fixture
def make_production_app(app, database_url, redis_url):
    """make_production_app(NAME=value, ...): a production app with these settings added."""
    return lambda **env: _production_app(database_url, redis_url, **env)


@pytest.fixture
def app_context(app):
    with app.app_context() as context:
        yield context


@pytest.fixture
def session(app, app_context):
    """The app context's session; registry tables are emptied after each test."""
    from foundation.db import db_session

    session = db_session()
    yield session
    session.rollback()
    for attempt in (1, 2):
        try:
            for model in REGISTRY_TABLES:
                session.execute(delete(model))
            session.commit()
            return
        except DBAPIError as error:
            # A test that dropped the server's connections (a restart) leaves this session's
            # connection dead; one used a moment ago is not pinged (foundation/db.py).
            session.rollback()
            if attempt == 2 or not is_lost_connection(error):
                raise


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def real_redis(app, redis_url) -> Iterator[Redis]:
    """The Redis server of a real-services run, emptied before and after the test."""
    if redis_url is None:
        pytest.skip("embedded mode: REDIS_URL is unset, jobs run inline (CI's second pass runs this)")
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture(autouse=True)
def fresh_caches(app):
    """Reference data cached by one test (rules, holidays) must not leak into the next."""
    for each in (app, *_production_apps):
        for key in ("sahayata.cache", "sahayata.rulebook"):
            each.extensions.pop(key, None)
    for each in _production_apps:
        if jobs_run_inline(each):  # its own in-process Redis: sessions and counters of the last test
            redis_connection(each).flushdb()
    yield


@pytest.fixture
def no_dispatch(monkeypatch):
    """File without enqueueing after commit: the test runs the jobs itself. Records what
    would have been enqueued."""
    calls = []
    monkeypatch.setattr("grievance.jobs.dispatch", lambda entries, **_: calls.extend(entries) or len(entries))
    return calls


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(kind, rows, name=None) -> Path of a CSV with that kind's header."""

    def write(kind: str, rows: list[dict], name: str | None = None, columns=None) -> Path:
        path = tmp_path / (name or f"{kind}.csv")
        header = list(columns or KINDS[kind].columns)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox; and no background traffic, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# -- no full phone number or NID in any log record of the run ---------------------------------
# A Bangladeshi mobile (+8801XXXXXXXXX, 8801XXXXXXXXX, 01XXXXXXXXX) or an NID-length run of
# digits (10, 13 or 17), standing alone: not inside a word (a random hex id such as an RQ
# worker's name often holds ten digits in a row), and masked forms (+88017*****678,
# **********123) have stars where digits were, so they never match. A URL's %2B (+) counts
# as a boundary.
PERSONAL_NUMBER = re.compile(
    r"(?:(?<=%2[Bb])|(?<![0-9A-Za-z*]))(?:(?:\+?88)?01[3-9]\d{8}|\d{17}|\d{13}|\d{10})(?![0-9A-Za-z*])"
)


class LeakWatch(logging.Handler):
    """Every record of the run, formatted (message, exception and stack), checked for a full
    phone number or NID; what it finds is kept with the test that was running."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.test = "(before the first test)"
        self.leaks: list[tuple[str, str, str]] = []
        self.plain = logging.Formatter("%(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.plain.format(record)
        except Exception:  # a record that cannot be formatted is logging's own error, reported there
            return
        for match in PERSONAL_NUMBER.finditer(text):
            number = match.group()
            self.leaks.append((self.test, record.name, number[:4] + "…" + number[-2:]))


_leak_watch = LeakWatch()


def pytest_runtest_logstart(nodeid, location):
    _leak_watch.test = nodeid


@pytest.fixture(scope="session", autouse=True)
def logs_hold_no_personal_numbers():
    """Fails the run, naming the tests, if any record logged during it carried a full phone
    number or NID. Records at INFO count: production logs them (foundation/logs.py)."""
    root = logging.getLogger()
    level = root.level
    if level > logging.INFO:
        root.setLevel(logging.INFO)
    root.addHandler(_leak_watch)
    yield
    root.removeHandler(_leak_watch)
    root.setLevel(level)
    if _leak_watch.leaks:
        lines = sorted({f"  {test}: logger {name} wrote {excerpt}" for test, name, excerpt in _leak_watch.leaks})
        pytest.fail("log records carried a full phone number or NID:\n" + "\n".join(lines), pytrace=False)
