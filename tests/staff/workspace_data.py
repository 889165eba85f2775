"""A workspace as an office sees it on a busy day, for the tests that look at every staff page
whole (their size, their accessibility): a queue page full of complaints, a case with a long
trail, signals with a page of items each, and an account of each role in each language.

Built once per test module (``workspace`` fixtures) and removed after it, like the
``session`` fixture's tables; tests that use it must not use ``session``, which would empty
the tables after their first test.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete, select

from foundation.clock import utcnow
from foundation.db import db_session
from grievance.actions import Action
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Grievance
from registry.models import OutletProgramme
from staff import cases, signal_store
from staff.models import Role, StaffUser
from tests.factories import make_citizen, make_enrolment, make_filing, make_payment, make_staff
from tests.monitoring.conftest import dhaka, make_outlet, make_redemption

LANGUAGES = ("bn", "en")
QUEUE_CASES = 60  # more than a queue page (50)
TIMELINE_NOTES = 40
SIGNAL_ITEMS = 25  # more than a Signals page (20) of outlets and of people in two programmes
DISTRICTS = ("Cumilla", "Dhaka", "Sylhet", "Rangpur", "Khulna", "Chattogram")
CATEGORIES = (Category.PAYMENT_NOT_RECEIVED, Category.AMOUNT_SHORT, Category.EXCLUDED, Category.WRONG_DATA)
# Complaints and notes are drawn from these words, so that no two are alike: gzip would shrink
# forty copies of one note to almost nothing, and the pages would be measured too small.
VOCABULARY = (
    "টাকা ভাতা মাস অফিস উপজেলা ইউনিয়ন পরিষদ চেয়ারম্যান নগদ বিকাশ অ্যাকাউন্ট মোবাইল নম্বর তালিকা "
    "নাম বয়স্ক বিধবা প্রতিবন্ধী কার্ড জাতীয় পরিচয়পত্র তথ্য ভুল সংশোধন আবেদন জমা দেওয়া হয়েছে "
    "হয়নি পাইনি পেয়েছি কম দেরি সমাজসেবা কর্মকর্তা যোগাযোগ ফোন জানানো অপেক্ষা তদন্ত যাচাই লেনদেন "
    "প্রতিবেদন সপ্তাহ আগামী গত called office transaction list Nagad bKash verified pending field "
    "visit ward union chairman payment cycle returned failed account closed reopened checked "
    "registry record mismatch"
)
WORDS = VOCABULARY.split()


def _text(seed: int, words: int) -> str:
    pick = random.Random(seed)
    return " ".join(pick.choice(WORDS) for _ in range(words)) + f" {pick.randrange(100, 10_000)} টাকা।"


@dataclass
class Workspace:
    emails: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, language) -> email
    # Per language, a MOSW case with a long trail, taken up by that language's officer (who
    # alone may reveal its phone number).
    long_cases: dict[str, str] = field(default_factory=dict)
    gro_case: str = ""  # a sensitive case only the redress officers read

    def email(self, role: str, language: str) -> str:
        return self.emails[(role, language)]


def build(session) -> Workspace:
    """Every account and the data behind every page; the jobs that would follow a filing are
    run here (routing) or not at all (the citizens' SMS), in either test mode."""
    built = Workspace()
    for role in Role:
        for language in LANGUAGES:
            user = make_staff(session, role.value, language=language, name=f"{role.value} {language}")
            built.emails[(role.value, language)] = user.email
    session.commit()
    numbers = [_routed(session, n, CATEGORIES[n % len(CATEGORIES)]) for n in range(QUEUE_CASES)]
    built.gro_case = _routed(session, QUEUE_CASES, Category.BRIBE_OR_HARASSMENT)
    for language, number in zip(LANGUAGES, numbers, strict=False):
        _long_trail(session, built.email("officer", language), number)
        built.long_cases[language] = number
    _signals(session)
    session.commit()
    return built


def _routed(session, n: int, category: Category) -> str:
    citizen = make_citizen(
        session,
        rescore=False,
        district=DISTRICTS[n % len(DISTRICTS)],
        name_en=f"Rahima Begum {n}",
        name_bn=f"রহিমা বেগম {n}",
    )
    make_enrolment(session, citizen, "OAA")
    for month in range(1, 7):
        make_payment(session, citizen, "OAA", cycle=f"2026-{month:02d}", paid_on=dt.date(2026, month, 12))
    session.commit()
    filing = make_filing(citizen_id=citizen.id, phone=citizen.mobile, category=category, text=_text(n, 30))
    grievance = file_grievance(session, filing).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    # Some late and some nearly due, as on any real queue (the pages mark both).
    if n % 5 in (1, 2) and grievance.due_at is not None:
        grievance.due_at = utcnow() + (dt.timedelta(days=-3) if n % 5 == 1 else dt.timedelta(hours=30))
        session.commit()
    return grievance.tracking_number


def _long_trail(session, email: str, number: str) -> None:
    officer = session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
    grievance = session.scalars(select(Grievance).where(Grievance.tracking_number == number)).one()
    cases.perform(session, officer, grievance, Action.ACKNOWLEDGE)
    for n in range(TIMELINE_NOTES):
        cases.perform(session, officer, grievance, Action.NOTE, f"{_text(1000 + n, 30)} [{n}]")
    cases.perform(session, officer, grievance, Action.ASK, "কোন মাস থেকে টাকা পাননি?")


def _signals(session) -> None:
    for n in range(SIGNAL_ITEMS):
        outlet = make_outlet(session, district=DISTRICTS[n % len(DISTRICTS)], name_en=f"Rahman Rice Store {n}")
        session.add(OutletProgramme(outlet_id=outlet.id, programme_code="FFP"))
        make_redemption(session, outlet, dhaka(2026, 3, 1 + n % 28, 23))  # at night
        both = make_citizen(session, rescore=False)
        make_enrolment(session, both, "OAA")
        make_enrolment(session, both, "WDA")
    session.commit()
    signal_store.refresh(session)  # the Signals page's items, as the scheduler's job writes them


def workspace_fixture(app):
    """The body of a module-scoped ``workspace`` fixture: builds, yields, removes."""
    from tests.conftest import REGISTRY_TABLES

    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        # Routing is run here; the citizens' SMS that jobs would send are not this test's matter.
        patch.setattr("grievance.jobs.dispatch", lambda entries, **_: len(entries))
        patch.setattr("staff.cases.dispatch", lambda entries, **_: len(entries))
        session = db_session()
        built = build(session)
    yield built
    with app.app_context():
        session = db_session()
        for model in REGISTRY_TABLES:
            session.execute(delete(model))
        session.commit()
