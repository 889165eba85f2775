import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import update

from registry import households
from registry.households import households_with_new_elders, rescore_households
from registry.jobs import rescore_new_elders_job
from registry.models import Gender, Household, MaritalStatus
from registry.vulnerability import MemberFacts, score_household
from tests.factories import make_citizen, make_household

LEAP_DAY = dt.date(2028, 2, 29)

# Each case: the household's members as (date of birth, gender, disability, marital status).
HOUSEHOLDS = {
    "no members": [],
    "man 65 today": [(dt.date(1963, 2, 28), Gender.MALE, False, MaritalStatus.MARRIED)],
    "man 65 tomorrow": [(dt.date(1963, 3, 1), Gender.MALE, False, MaritalStatus.MARRIED)],
    "woman 62 on the leap day": [(dt.date(1966, 2, 28), Gender.FEMALE, False, MaritalStatus.MARRIED)],
    "third gender 61": [(dt.date(1966, 3, 1), Gender.OTHER, False, MaritalStatus.NEVER_MARRIED)],
    "deserted woman and a disabled son": [
        (dt.date(1990, 5, 1), Gender.FEMALE, False, MaritalStatus.DESERTED),
        (dt.date(2015, 5, 1), Gender.MALE, True, MaritalStatus.NEVER_MARRIED),
    ],
    "widowed man (no points)": [(dt.date(1980, 1, 1), Gender.MALE, False, MaritalStatus.WIDOWED)],
}


@pytest.mark.parametrize("case", HOUSEHOLDS)
def test_rescoring_in_the_database_matches_scoring_the_members(session, case):
    household = make_household(session, size=5, monthly_income_bdt=Decimal("7502.50"), land_decimal=Decimal("12.5"))
    for born, gender, disability, marital in HOUSEHOLDS[case]:
        make_citizen(
            session,
            household=household,
            rescore=False,
            date_of_birth=born,
            gender=gender,
            disability=disability,
            marital_status=marital,
        )

    assert rescore_households(session, [household.id], as_of=LEAP_DAY) == 1
    session.refresh(household)

    members = [MemberFacts(born, g.value, d, m.value) for born, g, d, m in HOUSEHOLDS[case]]
    expected = score_household(5, Decimal("7502.50"), Decimal("12.5"), members, LEAP_DAY)
    assert (household.vulnerability_score, household.vulnerability_breakdown) == expected


def test_rescoring_again_changes_nothing(session):
    households = [make_household(session) for _ in range(3)]
    for household in households:
        make_citizen(session, household=household, rescore=False, age=70)
    ids = [household.id for household in households]

    assert rescore_households(session, ids, as_of=LEAP_DAY) == 3
    assert rescore_households(session, ids, as_of=LEAP_DAY) == 0
    session.expire_all()  # the scores were written past the ORM
    assert all(session.get(Household, i).vulnerability_breakdown["elderly_member"]["value"] for i in ids)


def test_rescoring_matches_scoring_the_members_across_every_band_edge(session):
    rng = random.Random(7)
    edges = [0, 1000, 2000, 3500, 5000]
    expected = {}
    for _ in range(120):
        size = rng.choice([1, 2, 3, 4, 5, 6, 7, 12])
        # Incomes that land on, just past and half-way to each per-capita band edge.
        per_capita = rng.choice(edges) + rng.choice([Decimal(0), Decimal("0.5"), Decimal("0.01"), Decimal(-1)])
        income = max(per_capita * size, Decimal(0)).quantize(Decimal("0.01"))
        land = Decimal(rng.choice(["0", "0.01", "15", "15.01", "50", "50.5", "300"]))
        household = make_household(session, size=size, monthly_income_bdt=income, land_decimal=land)
        members = []
        for _ in range(rng.randint(0, 3)):
            facts = MemberFacts(
                LEAP_DAY.replace(day=28) - dt.timedelta(days=rng.randint(0, 80 * 366)),
                rng.choice("MFX"),
                rng.random() < 0.2,
                rng.choice([status.value for status in MaritalStatus]),
            )
            make_citizen(
                session,
                household=household,
                rescore=False,
                date_of_birth=facts.date_of_birth,
                gender=Gender(facts.gender),
                disability=facts.disability,
                marital_status=MaritalStatus(facts.marital_status),
            )
            members.append(facts)
        expected[household.id] = score_household(size, income, land, members, LEAP_DAY)

    rescore_households(session, list(expected), as_of=LEAP_DAY)
    session.expire_all()

    for household_id, (score, breakdown) in expected.items():
        household = session.get(Household, household_id)
        assert (household.vulnerability_score, household.vulnerability_breakdown) == (score, breakdown), household_id


def _man_turning_65_on(day: dt.date, session) -> Household:
    household = make_household(session)
    make_citizen(
        session, household=household, rescore=False, gender=Gender.MALE, date_of_birth=day.replace(year=day.year - 65)
    )
    return household


def test_the_daily_pass_counts_a_member_on_the_day_he_becomes_elderly(session):
    birthday = dt.date(2026, 11, 2)
    household = _man_turning_65_on(birthday, session)
    rescore_households(session, [household.id], as_of=birthday - dt.timedelta(days=1))
    session.expire_all()
    assert session.get(Household, household.id).vulnerability_breakdown["elderly_member"]["value"] is False

    assert households_with_new_elders(session, birthday - dt.timedelta(days=1)) == []
    assert households_with_new_elders(session, birthday) == [household.id]
    assert rescore_new_elders_job(birthday.isoformat()) == 1
    session.expire_all()
    assert session.get(Household, household.id).vulnerability_breakdown["elderly_member"]["value"] is True
    assert households_with_new_elders(session, birthday) == []


def test_the_daily_pass_also_finds_a_household_never_scored(session):
    household = _man_turning_65_on(dt.date(2020, 1, 1), session)
    assert session.get(Household, household.id).vulnerability_breakdown == {}
    assert households_with_new_elders(session, dt.date(2026, 11, 1)) == [household.id]


def test_rescore_command_catches_up_and_rescores_all_on_request(session, cli):
    today = dt.date.today()
    household = _man_turning_65_on(today, session)
    rescore_households(session, [household.id], as_of=today - dt.timedelta(days=1))
    session.commit()

    assert "1 household score(s) changed" in cli.invoke(args=["registry", "rescore"]).output
    assert "0 household score(s) changed" in cli.invoke(args=["registry", "rescore"]).output
    session.execute(update(Household).values(vulnerability_score=0))  # as if a threshold had changed
    session.commit()
    assert "0 household score(s) changed" in cli.invoke(args=["registry", "rescore"]).output
    assert "1 household score(s) changed" in cli.invoke(args=["registry", "rescore", "--all"]).output


def test_rescoring_all_pages_through_every_household(session, monkeypatch):
    monkeypatch.setattr(households, "CHUNK", 2)
    ids = [make_citizen(session, rescore=False, age=70).household_id for _ in range(5)]

    assert households.rescore_all_households(session, LEAP_DAY) == 5
    session.expire_all()
    assert all(session.get(Household, i).vulnerability_breakdown["elderly_member"]["value"] for i in ids)
