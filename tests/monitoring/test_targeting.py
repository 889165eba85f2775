import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import String, literal, select, union_all

from monitoring.targeting import (
    SQL_OF,
    assessments,
    criterion_sql,
    has_programme,
    programme_masks,
    targeting_estimates,
    targeting_people,
)
from registry.demo import generate_demo_data
from registry.eligibility.criteria import CRITERIA, Criterion
from registry.eligibility.engine import RuleBook, check, facts_by_id
from registry.models import Citizen, Gender, MaritalStatus
from tests.factories import AS_OF, make_citizen, make_enrolment, make_household


def test_every_criterion_has_its_sql():
    missing = [name for name, definition in CRITERIA.items() if type(definition) not in SQL_OF]
    assert missing == []


def test_a_criterion_without_sql_is_refused(monkeypatch):
    class Newcomer(Criterion):
        name = "newcomer"

    monkeypatch.setitem(CRITERIA, "newcomer", Newcomer())
    with pytest.raises(NotImplementedError, match="newcomer"):
        criterion_sql("newcomer", {}, AS_OF)


def test_the_sql_decides_as_the_python_engine_on_the_demo_data(session):
    as_of = dt.date(2026, 11, 1)
    generate_demo_data(session, 600, seed=7, as_of=as_of)
    book = RuleBook.load(session)
    by_sql = {(r.citizen_id, r.programme): r.decision for r in session.execute(assessments(book, as_of))}
    ids = session.scalars(select(Citizen.id)).all()
    by_python = {
        (citizen_id, code): check(facts_by_id(session, citizen_id, as_of), code, book).decision.value
        for citizen_id in ids
        for code in book.order
    }
    assert by_sql == by_python
    assert {"eligible", "not_eligible", "needs_verification"} <= set(by_sql.values())  # the data tells them apart


def _widow(session, **household):
    home = make_household(session, **household)
    return make_citizen(
        session, age=50, gender=Gender.FEMALE, marital_status=MaritalStatus.WIDOWED, household=home, rescore=False
    )


def test_an_eligible_widow_not_enrolled_is_excluded_and_an_enrolled_one_is_not(session):
    excluded = _widow(session, monthly_income_bdt=Decimal(3000))
    enrolled = _widow(session, monthly_income_bdt=Decimal(3000))
    make_enrolment(session, enrolled, "WDA")
    found = {(r.nid, r.programme, r.finding) for r in session.execute(targeting_people(session, AS_OF))}
    assert (excluded.nid, "WDA", "excluded") in found
    assert not any(nid == enrolled.nid and programme == "WDA" for nid, programme, _ in found)


def test_an_enrolled_widow_above_the_income_ceiling_is_included_in_error(session):
    wealthy = _widow(session, monthly_income_bdt=Decimal(25000))
    make_enrolment(session, wealthy, "WDA")
    poor = _widow(session, monthly_income_bdt=Decimal(9000))  # near miss: within the Tk 10,000 ceiling
    make_enrolment(session, poor, "WDA")
    found = {(r.nid, r.programme, r.finding) for r in session.execute(targeting_people(session, AS_OF))}
    assert (wealthy.nid, "WDA", "included") in found
    assert (poor.nid, "WDA", "included") not in found
    rows = [r for r in session.execute(targeting_estimates(session, AS_OF)).mappings() if r.programme == "WDA"]
    assert [(r.enrolled, r.included, r.inclusion_rate) for r in rows] == [(2, 1, 0.5)]


def test_a_household_programme_another_member_receives_is_no_exclusion(session):
    home = make_household(session, monthly_income_bdt=Decimal(1000), land_decimal=Decimal(0), size=6)
    members = [make_citizen(session, household=home, rescore=False) for _ in range(2)]
    make_citizen(session, household=home, disability=True)  # rescored: the household's score goes up
    session.refresh(home)
    make_enrolment(session, members[0], "FFP")
    found = {(r.nid, r.programme, r.finding) for r in session.execute(targeting_people(session, AS_OF))}
    assert home.vulnerability_score >= 60
    assert not any(programme == "FFP" and finding == "excluded" for _, programme, finding in found)


def test_programme_masks_hold_more_programmes_than_one_bigint_and_repeats(session):
    codes = [f"P{i}" for i in range(70)]
    # Every bit of the first mask (its largest value), and a household's two members in one
    # programme of the second: 63 twice.
    enrolled = [*range(63), 63, 69, 63]
    rows = union_all(
        *(select(literal(1).label("unit"), literal(codes[i], String).label("programme")) for i in enrolled)
    ).subquery()
    masks = select(rows.c.unit, *programme_masks(codes, rows.c.programme, "m")).group_by(rows.c.unit).subquery()
    has = session.execute(select(*(has_programme(masks, "m", i).label(f"has_{i}") for i in range(70)))).one()
    assert {i for i in range(70) if has[i]} == {*range(64), 69}
