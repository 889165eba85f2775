"""Phone hashes under a key of their own, which can rotate without forgetting a STOP, a
duplicate complaint, or whose complaint it is."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from flask import Flask
from sqlalchemy import delete, select

from foundation.db import db_session
from foundation.privacy import derived_phone_key, phone_hash
from grievance.citizen_answers import RESOLUTION_OPEN_FOR
from grievance.intake import Filed, file_grievance
from grievance.jobs import route_grievance
from grievance.models import CitizenQuestion, Grievance, QuestionKind, Status
from grievance.questions import ask
from grievance.status import change_status
from outbound_sms.models import OptOut
from outbound_sms.opt_outs import opted_out
from sms.replies import answer
from tests.factories import make_filing

PHONE = "+8801712345678"
OTHER_PHONE = "+8801999000111"
OLD_SECRET, NEW_SECRET = "the-secret-key-before-" + "b" * 32, "the-secret-key-after-" + "a" * 32


@pytest.fixture(autouse=True)
def no_opt_outs_left(app, session):
    """Opt-outs are not among the tables the suite empties."""
    yield
    session.rollback()
    session.execute(delete(OptOut))
    session.commit()


def _say(made: Flask, text: str, phone: str = PHONE) -> str:
    with made.app_context():
        return answer(db_session(), phone, text).text


def _opted_out(made: Flask, phone: str = PHONE) -> bool:
    with made.app_context():
        session = db_session()
        found = opted_out(session, phone)
        session.commit()  # as a sender's transaction would, with any rewrite it made
        return found


def _file(made: Flask) -> Filed:
    with made.app_context():
        return file_grievance(db_session(), make_filing(phone=PHONE))


def _stored_opt_outs(session) -> set[str]:
    session.rollback()
    return set(session.scalars(select(OptOut.phone_hash)))


def test_the_phone_key_is_never_the_secret_key_itself(make_production_app):
    derived = make_production_app(SECRET_KEY=OLD_SECRET)
    pinned = make_production_app(
        SECRET_KEY=OLD_SECRET, SAHAYATA_PHONE_HASH_KEY="the-phone-key-0123456789abcdef0123456789"
    )
    with derived.app_context():
        assert derived_phone_key(OLD_SECRET) != OLD_SECRET.encode()
        assert phone_hash(PHONE) == hmac.new(derived_phone_key(OLD_SECRET), PHONE.encode(), hashlib.sha256).hexdigest()
    with pinned.app_context():
        assert (
            phone_hash(PHONE)
            == hmac.new(b"the-phone-key-0123456789abcdef0123456789", PHONE.encode(), hashlib.sha256).hexdigest()
        )


def test_rotating_the_secret_key_keeps_every_stop_and_duplicate_when_the_phone_key_is_set(
    make_production_app, session, no_dispatch
):
    before = make_production_app(
        SECRET_KEY=OLD_SECRET, SAHAYATA_PHONE_HASH_KEY="the-phone-key-0123456789abcdef0123456789"
    )
    after = make_production_app(
        SECRET_KEY=NEW_SECRET, SAHAYATA_PHONE_HASH_KEY="the-phone-key-0123456789abcdef0123456789"
    )
    _say(before, "STOP")
    first = _file(before)
    assert _opted_out(after)
    again = _file(after)
    assert again.duplicate and again.grievance.id == first.grievance.id


def test_rotating_the_phone_key_keeps_them_while_the_old_key_is_listed(make_production_app, session, no_dispatch):
    before = make_production_app(SAHAYATA_PHONE_HASH_KEY="phone-key-1-0123456789abcdef0123456789")
    after = make_production_app(
        SAHAYATA_PHONE_HASH_KEY="phone-key-2-0123456789abcdef0123456789",
        SAHAYATA_PHONE_HASH_KEY_PREVIOUS="phone-key-1-0123456789abcdef0123456789",
    )
    later = make_production_app(SAHAYATA_PHONE_HASH_KEY="phone-key-2-0123456789abcdef0123456789")  # the old key dropped
    _say(before, "STOP")
    _say(before, "STOP", phone=OTHER_PHONE)
    first = _file(before)
    assert _opted_out(after)
    assert _file(after).grievance.id == first.grievance.id
    with after.app_context():
        assert _stored_opt_outs(session) == {phone_hash(PHONE), _hash_under(before, OTHER_PHONE)}
    # The STOP seen under the new key was rewritten under it and survives dropping the old
    # key; the one never seen since is lost with it (which is why the old key stays listed).
    assert _opted_out(later)
    assert not _opted_out(later, OTHER_PHONE)


def _hash_under(made: Flask, phone: str) -> str:
    with made.app_context():
        return phone_hash(phone)


def test_rotating_the_secret_key_keeps_stops_while_the_old_one_is_a_fallback(make_production_app, session):
    before = make_production_app(SECRET_KEY=OLD_SECRET)
    after = make_production_app(SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=OLD_SECRET)
    _say(before, "STOP")
    assert _opted_out(after)
    assert _stored_opt_outs(session) == {_hash_under(after, PHONE)}
    assert "on again" in _say(after, "START")
    assert not _opted_out(before) and not _opted_out(after)


def test_a_stop_hashed_under_the_secret_key_itself_is_kept(production_app, session):
    """As the service wrote them before phone hashes had a key of their own."""
    legacy = hmac.new(production_app.config["SECRET_KEY"].encode(), PHONE.encode(), hashlib.sha256).hexdigest()
    session.add(OptOut(phone_hash=legacy))
    session.commit()
    assert _opted_out(production_app)
    assert _stored_opt_outs(session) == {_hash_under(production_app, PHONE)}


def test_whose_complaint_it_is_survives_a_rotation(make_production_app, session, no_dispatch):
    """INFO and the 1/2 answer recognise the phone that filed the complaint."""
    before = make_production_app(SAHAYATA_PHONE_HASH_KEY="phone-key-1-0123456789abcdef0123456789")
    after = make_production_app(
        SAHAYATA_PHONE_HASH_KEY="phone-key-2-0123456789abcdef0123456789",
        SAHAYATA_PHONE_HASH_KEY_PREVIOUS="phone-key-1-0123456789abcdef0123456789",
    )
    grievance = _file(before).grievance
    number = grievance.tracking_number
    assert _say(after, f"INFO {number} I collect at Debidwar").startswith(("Thank you", "ধন্যবাদ"))
    route_grievance(grievance.id)
    grievance = session.get(Grievance, grievance.id)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    session.commit()
    with before.app_context():  # "is it resolved?" was asked before the rotation
        asking = db_session()
        ask(asking, PHONE, QuestionKind.COMPLAINT_RESOLVED, grievance.id, "bn", RESOLUTION_OPEN_FOR)
        asking.commit()
    assert "বন্ধ" in _say(after, "১")
    session.expire_all()
    assert grievance.status is Status.CLOSED
    assert grievance.phone_hash == _hash_under(after, PHONE)  # moved to the current key
    assert session.scalars(select(CitizenQuestion.phone_hash)).all() == [_hash_under(after, PHONE)]


def test_production_warns_at_start_when_the_phone_key_rides_on_the_secret_key(make_production_app, caplog):
    with caplog.at_level(logging.WARNING):
        make_production_app()
    assert [r for r in caplog.records if "SAHAYATA_PHONE_HASH_KEY is not set" in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        make_production_app(SAHAYATA_PHONE_HASH_KEY="the-phone-key-0123456789abcdef0123456789")
    assert not [r for r in caplog.records if "SAHAYATA_PHONE_HASH_KEY" in r.getMessage()]
