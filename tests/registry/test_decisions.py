"""Every programme's decision for a person, and the counted look-up by NID and date of birth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from foundation.jobs import redis_connection
from registry.eligibility.decisions import LookupOutcome, decisions_for, look_up_decisions
from registry.eligibility.engine import Decision, check_citizen, rulebook
from registry.lookups import LOOKUPS_PER_DAY
from tests.factories import make_citizen, make_enrolment, make_household

PHONE = "+8801999000444"
TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def no_lookups_counted(app):
    redis = redis_connection(app)
    for key in redis.scan_iter("lookups:*"):
        redis.delete(key)
    yield
    for key in redis.scan_iter("lookups:*"):
        redis.delete(key)


@pytest.fixture
def person(session):
    household = make_household(session, monthly_income_bdt=Decimal(3000), land_decimal=Decimal(2))
    citizen = make_citizen(session, age=70, household=household, nid="1987654321")
    session.commit()
    return citizen


def test_decisions_group_every_programme_as_the_engine_decides(session, person):
    book = rulebook(session)
    decisions = decisions_for(person, book, TODAY, someone_else=False)
    expected = {r.programme_code: r.decision for r in check_citizen(session, person, as_of=TODAY)}
    for group, decision in (
        (decisions.eligible, Decision.ELIGIBLE),
        (decisions.needs_verification, Decision.NEEDS_VERIFICATION),
        (decisions.not_eligible, Decision.NOT_ELIGIBLE),
    ):
        assert group == tuple(code for code in book.order if expected[code] is decision)
    assert "OAA" in decisions.eligible and decisions.not_eligible


def test_a_look_up_finds_the_person_only_with_both_nid_and_date_of_birth(session, person):
    redis = redis_connection()
    found = look_up_decisions(session, redis, PHONE, person.nid, person.date_of_birth, TODAY)
    assert found.outcome is LookupOutcome.FOUND and "FFP" in found.decisions.eligible
    wrong_day = person.date_of_birth + dt.timedelta(days=1)
    missed = look_up_decisions(session, redis, PHONE, person.nid, wrong_day, TODAY)
    assert missed.outcome is LookupOutcome.NOT_FOUND and missed.decisions is None


def test_every_look_up_counts_found_or_not_and_the_sixth_is_refused(session, person):
    redis = redis_connection()
    wrong_day = person.date_of_birth + dt.timedelta(days=1)
    for _ in range(LOOKUPS_PER_DAY):
        assert look_up_decisions(session, redis, PHONE, person.nid, wrong_day, TODAY).outcome is LookupOutcome.NOT_FOUND
    refused = look_up_decisions(session, redis, PHONE, person.nid, person.date_of_birth, TODAY)
    assert refused.outcome is LookupOutcome.LIMIT_REACHED and refused.decisions is None
    tomorrow = look_up_decisions(session, redis, PHONE, person.nid, person.date_of_birth, TODAY + dt.timedelta(1))
    assert tomorrow.outcome is LookupOutcome.FOUND


def test_a_look_up_does_not_tell_what_the_person_already_receives(session, person):
    """The Old Age Allowance is not for government pensioners: "not eligible" would tell a
    stranger that she draws a pension, so a look-up leaves that criterion to the office."""
    make_enrolment(session, person, "GPEN")
    session.commit()
    book = rulebook(session)
    assert "OAA" in decisions_for(person, book, TODAY, someone_else=False).not_eligible  # she may know
    found = look_up_decisions(session, redis_connection(), PHONE, person.nid, person.date_of_birth, TODAY)
    assert "OAA" in found.decisions.needs_verification and "WDA" not in found.decisions.eligible
    session.delete(person.enrolments[0])
    session.commit()
    session.expire_all()
    again = look_up_decisions(session, redis_connection(), PHONE, person.nid, person.date_of_birth, TODAY)
    assert again.decisions == found.decisions  # with or without the pension, the same answer


def test_whom_a_look_up_finds_needs_both_nid_and_date_of_birth(session, person):
    from registry.services import citizen_id_by_nid_and_date_of_birth

    assert citizen_id_by_nid_and_date_of_birth(session, person.nid, person.date_of_birth) == person.id
    assert citizen_id_by_nid_and_date_of_birth(session, person.nid, person.date_of_birth.replace(day=1)) is None
    assert citizen_id_by_nid_and_date_of_birth(session, "1234567890", person.date_of_birth) is None
