"""Fixtures and helpers of the SMS tests (the inbound channel, the outbound pipe and the
notices), registered by each of those folders' conftest."""

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from foundation.db import db_session
from outbound_sms.models import OptOut
from registry.etokens import post_entry
from registry.models import PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_payment, make_wallet
from tests.helpers import serving
from tests.peers.kannel_peer import KannelPeer, kannel_installed
from tests.peers.twilio_peer import BASE, TOKEN, RecordingHttpClient


@pytest.fixture
def caller_with_money(session):
    """A registered OAA beneficiary with a credited payment, a scheduled one, and FFP rice."""
    citizen = make_citizen(session, age=70, mobile="+8801712345678")
    make_enrolment(session, citizen, "OAA")
    make_payment(session, citizen, "OAA", cycle="2026-10", status=PaymentStatus.CREDITED)
    make_payment(session, citizen, "OAA", cycle="2026-11", status=PaymentStatus.SCHEDULED, txn_id=None, paid_on=None)
    make_enrolment(session, citizen, "FFP")
    post_entry(session, make_wallet(session, citizen, "FFP", expires_on=dt.date(2026, 12, 31)), Decimal(30), "credit")
    session.commit()
    return citizen


# Not ASCII, and with characters a URL and Kannel's URL escapes treat specially: the key
# must reach the app intact through real Kannel and compare as bytes.
KANNEL_INBOUND_KEY = "kannel-inbound-tëst-key&%C"


@pytest.fixture(autouse=True)
def no_opt_outs_left(app):
    """Opt-outs are not among the tables the suite empties; one test's STOP must not
    silence the next test's alerts."""
    yield
    with app.app_context():
        session = db_session()
        session.execute(delete(OptOut))
        session.commit()


def message_id(prefix: str = "SM") -> str:
    """A provider message id never used before (real Redis keeps seen ids for a day)."""
    return prefix + uuid.uuid4().hex


@contextmanager
def database_refusing_inserts(session: Session, table: str) -> Iterator[None]:
    """The real database refuses every insert into ``table`` (a trigger), as a full disk or
    a failed constraint would: for proving that a failed request can be retried."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(
            text(
                "CREATE FUNCTION sahayata_test_refuse() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER sahayata_test_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sahayata_test_refuse()"
            )
        )
    else:
        session.execute(
            text(
                f"CREATE TRIGGER sahayata_test_refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        )
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        session.execute(text(f"DROP TRIGGER IF EXISTS sahayata_test_refuse{f' ON {table}' if postgres else ''}"))
        if postgres:
            session.execute(text("DROP FUNCTION IF EXISTS sahayata_test_refuse()"))
        session.commit()


@pytest.fixture(scope="module")
def kannel(app, tmp_path_factory):
    """A real Kannel (bearerbox, smsbox, fakesmsc as the SMSC) in front of the app served on
    loopback, with the app configured to send through it."""
    if not kannel_installed():
        pytest.fail("Kannel is missing: install Debian's kannel and kannel-extras (scripts/ensure-test-peers)")
    keys = ("KANNEL_SENDSMS_URL", "KANNEL_USERNAME", "KANNEL_PASSWORD", "KANNEL_DLR_BASE_URL", "KANNEL_INBOUND_KEY")
    saved = {key: app.config[key] for key in keys}
    with serving(app) as base_url:
        peer = KannelPeer(tmp_path_factory.mktemp("kannel"), base_url, KANNEL_INBOUND_KEY)
        app.config.update(
            KANNEL_SENDSMS_URL=peer.sendsms_url,
            KANNEL_USERNAME=peer.username,
            KANNEL_PASSWORD=peer.password,
            KANNEL_DLR_BASE_URL=base_url,
            KANNEL_INBOUND_KEY=KANNEL_INBOUND_KEY,
        )
        peer.start()
        try:
            yield peer
        finally:
            peer.stop()
            app.config.update(saved)


@pytest.fixture
def twilio(app):
    recorder = RecordingHttpClient()
    saved = {
        k: app.config.get(k)
        for k in (
            "SMS_PROVIDER",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_FROM",
            "TWILIO_PUBLIC_BASE_URL",
            "TWILIO_HTTP_CLIENT",
        )
    }
    app.config.update(
        SMS_PROVIDER="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM="+15005550006",
        TWILIO_PUBLIC_BASE_URL=BASE,
        TWILIO_HTTP_CLIENT=recorder,
    )
    yield recorder
    app.config.update(saved)
