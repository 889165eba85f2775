"""Every programme's seed rules, with the decision and the reason a citizen would hear."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale

from registry.eligibility import (
    CitizenFacts,
    Decision,
    EnrolmentFact,
    Outcome,
    RuleBook,
    Standing,
    answer,
    check,
    check_citizen,
    check_for_someone_else,
    facts_by_id,
    facts_for_citizen,
)
from registry.eligibility.engine import load_citizen_for_check
from registry.eligibility.explain import describe_criterion, explain_answer, office_name, summarise
from registry.models import EnrolmentStatus, Gender, MaritalStatus, Programme
from tests.factories import AS_OF, POOR_WOMAN, make_citizen, make_enrolment, make_household


@pytest.fixture
def book(session) -> RuleBook:
    return RuleBook.load(session)


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


# -- the facts, through the ORM and through the one prepared select --------------------------
@pytest.fixture
def family(session):
    """A mother (Old Age Allowance since 2019, a suspended widow allowance, an exited
    disability allowance) and her son, who holds the household's Food Friendly card."""
    household = make_household(session, monthly_income_bdt=Decimal(4000), land_decimal=Decimal(3), size=3)
    mother = make_citizen(
        session, age=68, gender=Gender.FEMALE, marital_status=MaritalStatus.WIDOWED, household=household
    )
    son = make_citizen(session, age=40, gender=Gender.MALE, household=household)
    make_enrolment(session, mother, "OAA", enrolled_on=dt.date(2019, 7, 1))
    make_enrolment(session, mother, "WDA", status=EnrolmentStatus.SUSPENDED, enrolled_on=dt.date(2020, 1, 1))
    make_enrolment(session, mother, "PDA", status=EnrolmentStatus.EXITED, enrolled_on=dt.date(2018, 1, 1))
    make_enrolment(session, son, "FFP", enrolled_on=dt.date(2021, 8, 1), payment_channel=None, account_number=None)
    session.commit()
    return mother, son


def test_the_prepared_select_reads_the_same_facts_as_the_orm(session, family):
    for person in family:
        session.expire_all()
        orm = facts_for_citizen(load_citizen_for_check(session, person.nid), AS_OF)
        assert facts_by_id(session, person.id, AS_OF) == orm
        assert facts_by_id(session.connection(), person.id, AS_OF) == orm


def test_facts_carry_own_enrolments_and_the_households_programmes(session, family):
    mother, son = family
    facts = facts_by_id(session, mother.id, AS_OF)
    assert facts.enrolments == (
        EnrolmentFact("OAA", EnrolmentStatus.ACTIVE, dt.date(2019, 7, 1)),
        EnrolmentFact("WDA", EnrolmentStatus.SUSPENDED, dt.date(2020, 1, 1)),
    )  # an exited enrolment is none
    assert facts.active_programmes == {"OAA"}
    assert facts.household_programmes == {"FFP"}
    assert facts_by_id(session, son.id, AS_OF).household_programmes == {"OAA"}
    assert facts.age == 68 and facts.household_income == Decimal(4000) and facts.district_name == "Cumilla"


def test_what_a_person_receives_leaves_out_another_members_personal_programme(session, family):
    from registry.eligibility.engine import programmes_received, rulebook

    mother, son = family
    book = rulebook(session)
    # The son's own Food Friendly card serves the household; his mother's Old Age Allowance
    # is hers alone, and his menu must not put it first (nor tell him of it).
    assert programmes_received(facts_by_id(session, son.id, AS_OF), book) == {"FFP"}
    assert programmes_received(facts_by_id(session, mother.id, AS_OF), book) == {"OAA", "WDA", "FFP"}


def test_facts_of_someone_without_enrolments_or_of_no_one(session):
    citizen = make_citizen(session, age=30)
    session.commit()
    facts = facts_by_id(session, citizen.id, AS_OF)
    assert (facts.enrolments, facts.household_programmes, facts.active_programmes) == ((), frozenset(), frozenset())
    assert facts_by_id(session, citizen.id + 1000, AS_OF) is None


# -- answers that fit the person ----------------------------------------------------------------
def test_an_enrolment_answers_instead_of_the_rules(book, session, family):
    mother, son = family
    facts = facts_by_id(session, mother.id, AS_OF)
    oaa = answer(facts, "OAA", book)
    assert (oaa.standing, oaa.enrolment.since.year) == (Standing.RECEIVES, 2019)
    assert answer(facts, "WDA", book).enrolment.status is EnrolmentStatus.SUSPENDED
    assert answer(facts, "PDA", book).standing is Standing.ASSESSED  # exited: assessed again
    assert answer(facts, "FFP", book).standing is Standing.HOUSEHOLD_RECEIVES
    # The mother's Old Age Allowance is hers alone: her son is assessed for it.
    assert answer(facts_by_id(session, son.id, AS_OF), "OAA", book).standing is Standing.ASSESSED


def test_a_programme_paid_to_the_mother_answers_a_man_so(book):
    assert answer(facts(gender="M"), "PESP", book).standing is Standing.PAID_TO_MOTHER
    assert answer(facts(gender="F"), "PESP", book).standing is Standing.ASSESSED


def test_programmes_come_in_the_seed_files_order(book):
    assert book.order == ("OAA", "WDA", "PDA", "SSD", "MCBP", "VWB", "FFP", "VGF", "EGPP", "PESP", "MHV", "FFH", "GPEN")


def test_every_programme_names_its_office_in_every_locale(book):
    for code in book.order:
        office = book.programmes[code].office
        assert set(office) == {"bn", "en", "bn_Latn"} and office["bn_Latn"].isascii(), code
    assert office_name("FFP", "bn", book) == "উপজেলা খাদ্য অফিস"
    assert office_name("EGPP", "en", book) == "Upazila Project Implementation Office"


def test_the_main_reason_of_an_eligible_person_is_what_the_programme_is_for(book):
    assert check(facts(marital_status="widowed"), "WDA", book).main_reason_met.criterion == "marital_status_in"
    assert check(facts(age=70), "OAA", book).main_reason_met.criterion == "age_min_by_gender"
    assert check(facts(disability=True), "PDA", book).main_reason_met.criterion == "disability_required"


NEXT_STEPS = [
    # programme, facts, English answer
    (
        "OAA",
        facts(age=64, gender="M"),
        "Old Age Allowance: not eligible: age 64 years; you may apply at 65 years. "
        "Where to apply: Upazila Social Services Office.",
    ),
    (
        "EGPP",
        facts(age=61),
        "EGPP work: not eligible: age 61 years; it is for ages 18-60 years. "
        "For other programmes, choose All programmes.",
    ),
    (
        "FFP",
        facts(household_income=Decimal(9000)),
        "Food Friendly: not eligible: household income Tk 9,000 a month, limit Tk 8,000. "
        "If this has changed, tell the Upazila Food Office.",
    ),
    (
        "VWB",
        facts(land=Decimal(20)),
        "VWB (VGD): not eligible: land 20 decimal, limit 15 decimal. "
        "If this has changed, tell the Upazila Women Affairs Office.",
    ),
    (
        "VGF",
        facts(vulnerability=40),
        "VGF: not eligible: poverty score 40 of 100, needed 50. "
        "If this has changed, tell the Upazila Project Implementation Office.",
    ),
    (
        "PDA",
        facts(),
        "Disability Allowance: not eligible: a registered disability is required. "
        "To register a disability, contact the Upazila Social Services Office.",
    ),
    (
        "OAA",
        facts(age=70, active_programmes=frozenset({"GPEN"})),
        "Old Age Allowance: not eligible: you receive Govt Pension, which rules it out. "
        "Ask the Upazila Social Services Office.",
    ),
    (
        "MHV",
        facts(district_name="Cumilla"),
        "Maternal Voucher: not eligible: not run in your district. For other programmes, choose All programmes.",
    ),
    (
        "FFH",
        facts(),
        "Freedom Fighter: needs verification: the freedom fighters list. Ask the Upazila Nirbahi Officer's Office.",
    ),
    (
        "WDA",
        facts(marital_status="widowed"),
        "Widow Allowance: eligible (widowed). To enrol, take your NID card to the Upazila Social Services Office.",
    ),
]


@pytest.mark.parametrize(("code", "citizen_facts", "text"), NEXT_STEPS)
def test_an_answer_names_what_decided_with_its_unit_and_the_next_step(book, code, citizen_facts, text):
    assert explain_answer(answer(citizen_facts, code, book), "en", book) == text


def test_an_answer_in_bangla_has_bengali_digits_and_units_in_words(app, book):
    text = explain_answer(answer(facts(household_income=Decimal(9000)), "FFP", book), "bn", book)
    assert text.startswith("খাদ্যবান্ধব: যোগ্য নন: পরিবারের আয় মাসে ৯,০০০ টাকা, সীমা ৮,০০০ টাকা।")
    assert not any(ch.isascii() and ch.isalnum() for ch in text), text


def test_someone_elses_decision_never_depends_on_what_they_receive(book):
    pensioner = facts(age=70, gender="M", active_programmes=frozenset({"GPEN"}))
    for code in book.order:
        with_pension = check_for_someone_else(pensioner, code, book)
        without = check_for_someone_else(dataclasses.replace(pensioner, active_programmes=frozenset()), code, book)
        assert with_pension == without, code
    assert check_for_someone_else(pensioner, "OAA", book).decision is Decision.NEEDS_VERIFICATION
