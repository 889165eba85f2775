import datetime as dt
from decimal import Decimal

import pytest

from registry.households import rescore_households
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
