"""Every programme's seed rules, with the decision and the reason a citizen would hear."""

import dataclasses
from decimal import Decimal

import pytest
from flask_babel import force_locale

from registry.eligibility import CitizenFacts, Decision, Outcome, RuleBook, check, check_citizen
from registry.eligibility.explain import describe_criterion, summarise
from registry.models import Gender, MaritalStatus, Programme
from tests.factories import AS_OF, make_citizen, make_enrolment, make_household


@pytest.fixture
def book(session) -> RuleBook:
    return RuleBook.load(session)


POOR_WOMAN = CitizenFacts(
    age=30,
    gender="F",
    marital_status="married",
    disability=False,
    household_income=Decimal(2000),
    land=Decimal(5),
    vulnerability=70,
    district_name="Kurigram",
    upazila_id=1,
    active_programmes=frozenset(),
)


def facts(**changes) -> CitizenFacts:
    return dataclasses.replace(POOR_WOMAN, **changes)


def explain(book, code, citizen_facts, locale="en"):
    result = check(citizen_facts, code, book)
    return result.decision, summarise(result, locale, book)


CASES = [
    # programme, facts, decision, English summary
    ("OAA", facts(age=62), Decision.ELIGIBLE, "eligible"),
    ("OAA", facts(age=64, gender="M"), Decision.NOT_ELIGIBLE, "not eligible: age 64, must be 65 or older"),
    ("OAA", facts(age=65, gender="M"), Decision.ELIGIBLE, "eligible"),
    (
        "OAA",
        facts(age=70, household_income=Decimal(12000)),
        Decision.NOT_ELIGIBLE,
        "not eligible: household income Tk 12,000 a month, must be at most Tk 10,000",
    ),
    (
        "OAA",
        facts(age=70, active_programmes=frozenset({"GPEN"})),
        Decision.NOT_ELIGIBLE,
        "not eligible: already receives Pension for Retired Government Employees and their Families",
    ),
    ("WDA", facts(marital_status="widowed"), Decision.ELIGIBLE, "eligible"),
    ("WDA", facts(), Decision.NOT_ELIGIBLE, "not eligible: married; must be widowed, deserted, divorced"),
    ("WDA", facts(gender="M", marital_status="widowed"), Decision.NOT_ELIGIBLE, "not eligible: for women only"),
    ("PDA", facts(disability=True), Decision.ELIGIBLE, "eligible"),
    ("PDA", facts(), Decision.NOT_ELIGIBLE, "not eligible: a registered disability is required"),
    ("SSD", facts(disability=True, age=20), Decision.ELIGIBLE, "eligible"),
    ("SSD", facts(disability=True, age=30), Decision.NOT_ELIGIBLE, "not eligible: age 30, must be 5 to 25"),
    ("MCBP", facts(), Decision.ELIGIBLE, "eligible"),
    ("MCBP", facts(vulnerability=30), Decision.NOT_ELIGIBLE, "not eligible: poverty score 30, must be 40 or more"),
    ("VWB", facts(), Decision.ELIGIBLE, "eligible"),
    ("VWB", facts(land=Decimal(20)), Decision.NOT_ELIGIBLE, "not eligible: land 20 decimal, must be at most 15"),
    ("FFP", facts(gender="M", age=50), Decision.ELIGIBLE, "eligible"),
    ("FFP", facts(vulnerability=59), Decision.NOT_ELIGIBLE, "not eligible: poverty score 59, must be 60 or more"),
    ("VGF", facts(vulnerability=50), Decision.ELIGIBLE, "eligible"),
    ("VGF", facts(vulnerability=49), Decision.NOT_ELIGIBLE, "not eligible: poverty score 49, must be 50 or more"),
    ("EGPP", facts(gender="M"), Decision.ELIGIBLE, "eligible"),
    ("EGPP", facts(age=61), Decision.NOT_ELIGIBLE, "not eligible: age 61, must be 18 to 60"),
    (
        "PESP",
        facts(),
        Decision.NEEDS_VERIFICATION,
        "needs verification: must be verified against primary school enrolment records",
    ),
    ("PESP", facts(gender="M"), Decision.NOT_ELIGIBLE, "not eligible: for women only"),
    ("MHV", facts(), Decision.ELIGIBLE, "eligible"),
    ("MHV", facts(district_name="Cumilla"), Decision.NOT_ELIGIBLE, "not eligible: not run in your district"),
    (
        "MHV",
        facts(household_income=Decimal(3000)),
        Decision.NOT_ELIGIBLE,
        "not eligible: household income Tk 3,000 a month, must be at most Tk 2,500",
    ),
    (
        "FFH",
        facts(),
        Decision.NEEDS_VERIFICATION,
        "needs verification: must be verified against the freedom fighters list",
    ),
    (
        "GPEN",
        facts(),
        Decision.NEEDS_VERIFICATION,
        "needs verification: must be verified against the government pensioners list",
    ),
]


@pytest.mark.parametrize(("code", "citizen_facts", "decision", "summary"), CASES)
def test_programme_rule_gives_decision_and_reason(book, code, citizen_facts, decision, summary):
    assert explain(book, code, citizen_facts) == (decision, summary)


def test_every_programme_is_covered_by_these_cases(session):
    codes = set(session.scalars(Programme.__table__.select().with_only_columns(Programme.code)))
    assert codes == {case[0] for case in CASES}


def test_every_criterion_reports_the_citizens_value(book):
    result = check(facts(age=58), "OAA", book)
    assert [(c.criterion, c.outcome, c.value, c.required) for c in result.criteria] == [
        ("age_min_by_gender", Outcome.FAIL, 58, 62),
        ("household_income_max", Outcome.PASS, Decimal(2000), Decimal(10000)),
        ("not_enrolled_in", Outcome.PASS, (), ("GPEN",)),
    ]


def test_reason_in_bangla_uses_bengali_digits(app, book):
    with app.test_request_context():
        decision, summary = explain(book, "OAA", facts(age=58), locale="bn")
    assert decision is Decision.NOT_ELIGIBLE
    assert summary == "যোগ্য নন: বয়স ৫৮, হতে হবে ৬২ বা বেশি"


def test_every_criterion_has_a_bangla_sentence(app, book):
    """No criterion falls back to English (or to its code) in Bangla."""
    with app.test_request_context(), force_locale("bn"):
        for code in book.rules:
            for result in check(facts(), code, book).criteria:
                text = describe_criterion(result, "bn", book)
                assert not any("a" <= ch.lower() <= "z" for ch in text), (code, text)


def test_check_citizen_reads_the_registry(session):
    household = make_household(session, monthly_income_bdt=Decimal(5000), land_decimal=Decimal(0), size=3)
    citizen = make_citizen(
        session, age=66, gender=Gender.MALE, household=household, marital_status=MaritalStatus.MARRIED
    )
    [result] = check_citizen(session, citizen, "OAA", as_of=AS_OF)
    assert result.decision is Decision.ELIGIBLE
    make_enrolment(session, citizen, "GPEN")
    session.expire(citizen)
    [result] = check_citizen(session, citizen, "OAA", as_of=AS_OF)
    assert result.decision is Decision.NOT_ELIGIBLE
    assert result.main_reason.criterion == "not_enrolled_in"


def test_check_citizen_uses_the_household_vulnerability_score(session):
    household = make_household(session, monthly_income_bdt=Decimal(50000), land_decimal=Decimal(300), size=2)
    citizen = make_citizen(session, age=40, household=household)
    assert household.vulnerability_score == 0
    [result] = check_citizen(session, citizen, "VGF", as_of=AS_OF)
    assert result.main_reason.value == 0
    assert result.decision is Decision.NOT_ELIGIBLE


def test_unknown_criterion_in_rules_is_refused():
    from registry.eligibility.engine import validate_rule

    with pytest.raises(ValueError, match="unknown eligibility criterion"):
        validate_rule("age_minimum", {})
    with pytest.raises(ValueError, match="lacks parameters"):
        validate_rule("age_range", {"min": 5})
