"""Exclusion and inclusion estimates: the eligibility rules applied to the whole registry in
SQL, against who is enrolled.

Each criterion of registry.eligibility.criteria has its SQL here, in one table keyed by the
criterion's class (``SQL_OF``): the Python engine stays the reference (it explains each
decision to a citizen) and a test holds the two to the same decisions on the demo data. A
criterion added there without its SQL here fails that test and ``criterion_sql``.

- excluded: assessed eligible (every criterion passed, none left to a ministry's list) but
  neither enrolled nor, for a household programme, covered by another member's enrolment;
- included: enrolled (active) but failing a targeting rule today, e.g. a household whose
  income or land is now above the programme's ceiling, or someone also on a pension.

Both are estimates: the registry's facts are what imports said, and a person whose decision
needs a ministry's list is counted in neither.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from registry.eligibility.criteria import (
    CRITERIA,
    AgeMin,
    AgeMinByGender,
    AgeRange,
    AreaIn,
    Criterion,
    DisabilityRequired,
    GenderIn,
    HouseholdIncomeMax,
    LandMax,
    ListedIn,
    MaritalStatusIn,
    NotEnrolledIn,
    VulnerabilityMin,
)
from registry.eligibility.engine import Decision, RuleBook
from registry.models import (
    BenefitUnit,
    Citizen,
    District,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Household,
    MaritalStatus,
    Programme,
    Upazila,
)

# A criterion's SQL: a condition on citizens JOIN households JOIN districts that holds when
# it passes, or None when only a ministry's list can tell (the engine's UNKNOWN).
CriterionSQL = Callable[[dict[str, Any], dt.date], ColumnElement[bool] | None]


def born_by(as_of: dt.date, years: int) -> dt.date:
    """The latest birthday of someone ``years`` old or older on ``as_of`` (a 29 February
    in a year without one is the 28th, as registry.vulnerability counts it)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


def _age_at_least(years: int, as_of: dt.date) -> ColumnElement[bool]:
    return Citizen.date_of_birth <= born_by(as_of, years)


def _age_min_by_gender(params: dict[str, Any], as_of: dt.date) -> ColumnElement[bool]:
    return or_(
        *(and_(Citizen.gender == Gender(code), _age_at_least(int(params[code]), as_of)) for code in ("M", "F", "X"))
    )


def _age_range(params: dict[str, Any], as_of: dt.date) -> ColumnElement[bool]:
    low, high = int(params["min"]), int(params["max"])
    return and_(_age_at_least(low, as_of), ~_age_at_least(high + 1, as_of))


def _area_in(params: dict[str, Any], as_of: dt.date) -> ColumnElement[bool]:
    districts = [name.lower() for name in params.get("districts", [])]
    upazilas = [int(code) for code in params.get("upazilas", [])]
    return or_(func.lower(District.name_en).in_(districts), Citizen.upazila_id.in_(upazilas))


def _not_enrolled_in(params: dict[str, Any], as_of: dt.date) -> ColumnElement[bool]:
    other = aliased(Enrolment)
    return ~exists().where(
        other.citizen_id == Citizen.id,
        other.status == EnrolmentStatus.ACTIVE,
        other.programme_code.in_(list(params["programmes"])),
    )


SQL_OF: dict[type[Criterion], CriterionSQL] = {
    AgeMinByGender: _age_min_by_gender,
    AgeMin: lambda params, as_of: _age_at_least(int(params["years"]), as_of),
    AgeRange: _age_range,
    GenderIn: lambda params, as_of: Citizen.gender.in_([Gender(v) for v in params["values"]]),
    MaritalStatusIn: lambda params, as_of: Citizen.marital_status.in_([MaritalStatus(v) for v in params["values"]]),
    DisabilityRequired: lambda params, as_of: Citizen.disability.is_(True),
    HouseholdIncomeMax: lambda params, as_of: Household.monthly_income_bdt <= Decimal(str(params["bdt"])),
    LandMax: lambda params, as_of: Household.land_decimal <= Decimal(str(params["decimal"])),
    VulnerabilityMin: lambda params, as_of: Household.vulnerability_score >= int(params["score"]),
    AreaIn: _area_in,
    NotEnrolledIn: _not_enrolled_in,
    ListedIn: lambda params, as_of: None,  # lists kept by ministries, not in the registry
}


def criterion_sql(name: str, params: dict[str, Any], as_of: dt.date) -> ColumnElement[bool] | None:
    definition = CRITERIA[name]
    try:
        compile_ = SQL_OF[type(definition)]
    except KeyError:
        raise NotImplementedError(f"criterion {name!r} has no SQL in monitoring.targeting.SQL_OF") from None
    return compile_(params, as_of)


def decision_sql(rules: tuple[tuple[str, dict[str, Any]], ...], as_of: dt.date) -> ColumnElement[str]:
    """The engine's decision as SQL: any criterion failed, not eligible; else any left to a
    list, needs verification; else eligible."""
    conditions = [criterion_sql(name, params, as_of) for name, params in rules]
    known = [c for c in conditions if c is not None]
    failed = or_(false(), *(~c for c in known))
    unknown = len(known) < len(conditions)
    return case(
        (failed, literal(Decision.NOT_ELIGIBLE.value, String)),
        else_=literal((Decision.NEEDS_VERIFICATION if unknown else Decision.ELIGIBLE).value, String),
    )


def assessments(book: RuleBook, as_of: dt.date) -> Select:
    """(citizen_id, programme, decision) for every citizen and programme: one select per
    programme over citizens JOIN households JOIN districts, united."""
    selects = [
        select(
            Citizen.id.label("citizen_id"),
            literal(code, String).label("programme"),
            decision_sql(rules, as_of).label("decision"),
        )
        .join(Household, Household.id == Citizen.household_id)
        .join(District, District.id == Citizen.district_id)
        for code, rules in book.rules.items()
    ]
    return selects[0].union_all(*selects[1:]) if len(selects) > 1 else selects[0]


class Finding(enum.StrEnum):
    EXCLUDED = "excluded"  # eligible, not enrolled
    INCLUDED = "included"  # enrolled, not eligible


def _people(book: RuleBook, as_of: dt.date) -> Any:
    """Each assessment with whether the person is enrolled (active) and whether a household
    programme already reaches their household. Both are outer joins to sets computed once
    (hash joins), not a correlated look-up per assessment."""
    assessed = assessments(book, as_of).subquery("assessed")
    person = aliased(Citizen)
    own = aliased(Enrolment)
    member, theirs = aliased(Citizen), aliased(Enrolment)
    # Households a household programme reaches (through any member: the person's own
    # enrolment already makes them "enrolled", so "another member" needs no test of its own).
    reached = (
        select(member.household_id.label("household_id"), theirs.programme_code.label("programme"))
        .join(theirs, theirs.citizen_id == member.id)
        .join(Programme, Programme.code == theirs.programme_code)
        .where(theirs.status == EnrolmentStatus.ACTIVE, Programme.benefit_unit == BenefitUnit.HOUSEHOLD.value)
        .distinct()
        .subquery("reached")
    )
    enrolled = own.id.is_not(None)
    covered = reached.c.household_id.is_not(None)
    finding = case(
        (and_(assessed.c.decision == Decision.ELIGIBLE.value, ~enrolled, ~covered), literal(Finding.EXCLUDED.value)),
        (and_(assessed.c.decision == Decision.NOT_ELIGIBLE.value, enrolled), literal(Finding.INCLUDED.value)),
        else_=literal(None, String),
    )
    return (
        select(
            person.id.label("citizen_id"),
            person.nid,
            person.upazila_id,
            assessed.c.programme,
            assessed.c.decision,
            case((enrolled, true()), else_=false()).label("enrolled"),
            finding.label("finding"),
        )
        .join(person, person.id == assessed.c.citizen_id)
        .outerjoin(
            own,
            and_(
                own.citizen_id == assessed.c.citizen_id,
                own.programme_code == assessed.c.programme,
                own.status == EnrolmentStatus.ACTIVE,
            ),
        )
        .outerjoin(
            reached, and_(reached.c.household_id == person.household_id, reached.c.programme == assessed.c.programme)
        )
        .subquery("people")
    )


def targeting_estimates(session: Session, as_of: dt.date) -> Select:
    """Per upazila and programme: ``eligible``, ``enrolled``, ``excluded`` (eligible, not
    enrolled), ``included`` (enrolled, not eligible), with the two error rates (excluded of
    the eligible, included of the enrolled)."""
    people = _people(RuleBook.load(session), as_of)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    eligible = count(people.c.decision == Decision.ELIGIBLE.value)
    enrolled = count(people.c.enrolled)
    excluded = count(people.c.finding == Finding.EXCLUDED.value)
    included = count(people.c.finding == Finding.INCLUDED.value)
    return (
        select(
            District.name_en.label("district"),
            Upazila.name_en.label("upazila"),
            people.c.programme,
            eligible.label("eligible"),
            enrolled.label("enrolled"),
            excluded.label("excluded"),
            included.label("included"),
            (cast(excluded, Float) / func.nullif(eligible, 0)).label("exclusion_rate"),
            (cast(included, Float) / func.nullif(enrolled, 0)).label("inclusion_rate"),
        )
        .join(Upazila, Upazila.id == people.c.upazila_id)
        .join(District, District.id == Upazila.district_id)
        .group_by(District.name_en, Upazila.name_en, people.c.programme)
        .having(or_(eligible > 0, enrolled > 0))
        .order_by(District.name_en, Upazila.name_en, people.c.programme)
    )


def targeting_people(session: Session, as_of: dt.date) -> Select:
    """The drill-down: each person found excluded or included, with the programme (the
    caller masks the NID)."""
    people = _people(RuleBook.load(session), as_of)
    return (
        select(people.c.nid, Upazila.name_en.label("upazila"), people.c.programme, people.c.finding)
        .join(Upazila, Upazila.id == people.c.upazila_id)
        .where(people.c.finding.is_not(None))
        .order_by(people.c.finding, Upazila.name_en, people.c.programme, people.c.nid)
    )
