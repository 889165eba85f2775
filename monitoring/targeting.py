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
    BigInteger,
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

from monitoring.sql import bit_or
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


def _facts(book: RuleBook, as_of: dt.date) -> Any:
    """One row per citizen with the decision of every programme as a column
    (``decision_<i>``, i the programme's place in the book): one pass over citizens JOIN
    households JOIN districts, however many programmes there are."""
    return (
        select(
            Citizen.id.label("citizen_id"),
            Citizen.nid,
            Citizen.upazila_id,
            Citizen.household_id,
            *(decision_sql(rules, as_of).label(f"decision_{i}") for i, rules in enumerate(book.rules.values())),
        )
        .join(Household, Household.id == Citizen.household_id)
        .join(District, District.id == Citizen.district_id)
        .cte("facts")
    )


def assessments(book: RuleBook, as_of: dt.date) -> Select:
    """(citizen_id, programme, decision) for every citizen and programme, read off the
    one-row-per-citizen facts."""
    facts = _facts(book, as_of)
    selects = [
        select(facts.c.citizen_id, literal(code, String).label("programme"), facts.c[f"decision_{i}"].label("decision"))
        for i, code in enumerate(book.order)
    ]
    return selects[0].union_all(*selects[1:]) if len(selects) > 1 else selects[0]


class Finding(enum.StrEnum):
    EXCLUDED = "excluded"  # eligible, not enrolled
    INCLUDED = "included"  # enrolled, not eligible


# Programmes per bit mask: bits 0 to 62 of a signed bigint. Bit 63 is the sign, and with it
# set SQLite's SUM (its BIT_OR here) would overflow; all 63 set is 2**63 - 1, the largest bigint.
BITS_PER_MASK = 63


def programme_masks(codes: list[str], programme: ColumnElement[str], prefix: str) -> list[Any]:
    """Bit masks of the programmes some row of the group is in (bit i of mask k for code
    k * 63 + i): one GROUP BY turns the enrolments into one row per person (or household).
    One OR per 63 programmes, not one aggregate per programme, keeps each group's state
    small, so a national registry's groups stay in the hash table's memory."""
    masks = []
    for k in range(0, len(codes), BITS_PER_MASK):
        chunk = codes[k : k + BITS_PER_MASK]
        bits = case(*((programme == code, literal(1 << i, BigInteger)) for i, code in enumerate(chunk)), else_=0)
        masks.append(bit_or(bits).label(f"{prefix}_{k // BITS_PER_MASK}"))
    return masks


def has_programme(group: Any, prefix: str, place: int) -> ColumnElement[bool]:
    """Whether the group's masks (a row of ``programme_masks``; NULL when the group has no row) have
    the programme at ``place``."""
    mask = group.c[f"{prefix}_{place // BITS_PER_MASK}"]
    return func.coalesce(mask.op("&")(literal(1 << (place % BITS_PER_MASK), BigInteger)), 0) != 0


def _people(book: RuleBook, as_of: dt.date) -> Any:
    """One row per citizen: the facts, and per programme i ``enrolled_<i>`` (an active
    enrolment of their own), ``excluded_<i>`` and ``included_<i>`` (1 or 0). Enrolments are
    grouped once per citizen and once per household (for household programmes, which reach
    every member) and joined by key: hash joins and hash aggregates whose work grows with the
    rows, with no per-(person, programme) row to sort."""
    codes = list(book.order)
    facts = _facts(book, as_of)
    own = (
        select(Enrolment.citizen_id, *programme_masks(codes, Enrolment.programme_code, "own"))
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, Enrolment.programme_code.in_(codes))
        .group_by(Enrolment.citizen_id)
        .subquery("own")
    )
    household_codes = [c for c in codes if book.programmes[c].benefit_unit is BenefitUnit.HOUSEHOLD]
    member = aliased(Citizen)
    reached = (
        select(member.household_id, *programme_masks(household_codes, Enrolment.programme_code, "reached"))
        .join(Enrolment, Enrolment.citizen_id == member.id)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, Enrolment.programme_code.in_(household_codes))
        .group_by(member.household_id)
        .subquery("reached")
    )
    columns: list[Any] = [facts.c.citizen_id, facts.c.nid, facts.c.upazila_id]
    for i, code in enumerate(codes):
        decision = facts.c[f"decision_{i}"]
        enrolled = has_programme(own, "own", i)
        # The person's own enrolment already makes them "enrolled", so a household reached
        # through any member needs no test of "another member".
        covered = has_programme(reached, "reached", household_codes.index(code)) if code in household_codes else false()
        columns += [
            decision.label(f"decision_{i}"),
            case((enrolled, 1), else_=0).label(f"enrolled_{i}"),
            case((and_(decision == Decision.ELIGIBLE.value, ~enrolled, ~covered), 1), else_=0).label(f"excluded_{i}"),
            case((and_(decision == Decision.NOT_ELIGIBLE.value, enrolled), 1), else_=0).label(f"included_{i}"),
        ]
    return (
        select(*columns)
        .select_from(facts)
        .outerjoin(own, own.c.citizen_id == facts.c.citizen_id)
        .outerjoin(reached, reached.c.household_id == facts.c.household_id)
        .cte("people")
    )


def targeting_estimates(session: Session, as_of: dt.date) -> Select:
    """Per upazila and programme: ``eligible``, ``enrolled``, ``excluded`` (eligible, not
    enrolled), ``included`` (enrolled, not eligible), with the two error rates (excluded of
    the eligible, included of the enrolled)."""
    book = RuleBook.load(session)
    people = _people(book, as_of)
    # One GROUP BY upazila over the people, every programme's counts as columns; the few
    # hundred rows it gives are then turned into one row per upazila and programme.
    sums: list[Any] = []
    for i in range(len(book.order)):
        sums += [
            func.sum(case((people.c[f"decision_{i}"] == Decision.ELIGIBLE.value, 1), else_=0)).label(f"eligible_{i}"),
            *(
                func.sum(people.c[f"{count}_{i}"]).label(f"{count}_{i}")
                for count in ("enrolled", "excluded", "included")
            ),
        ]
    by_upazila = select(people.c.upazila_id, *sums).group_by(people.c.upazila_id).cte("by_upazila")
    selects = [
        select(
            by_upazila.c.upazila_id,
            literal(code, String).label("programme"),
            *(by_upazila.c[f"{count}_{i}"].label(count) for count in ("eligible", "enrolled", "excluded", "included")),
        ).where(or_(by_upazila.c[f"eligible_{i}"] > 0, by_upazila.c[f"enrolled_{i}"] > 0))
        for i, code in enumerate(book.order)
    ]
    estimates = (selects[0].union_all(*selects[1:]) if len(selects) > 1 else selects[0]).subquery("estimates")
    return (
        select(
            District.name_en.label("district"),
            Upazila.name_en.label("upazila"),
            estimates.c.programme,
            estimates.c.eligible,
            estimates.c.enrolled,
            estimates.c.excluded,
            estimates.c.included,
            (cast(estimates.c.excluded, Float) / func.nullif(estimates.c.eligible, 0)).label("exclusion_rate"),
            (cast(estimates.c.included, Float) / func.nullif(estimates.c.enrolled, 0)).label("inclusion_rate"),
        )
        .join(Upazila, Upazila.id == estimates.c.upazila_id)
        .join(District, District.id == Upazila.district_id)
        .order_by(District.name_en, Upazila.name_en, estimates.c.programme)
    )


def _programme_places(codes: list[str]) -> Any:
    """(place, programme) for each programme of the book: a few rows to cross with the
    people, written as a UNION ALL of constants because SQLite has no VALUES list with
    column names."""
    rows = [select(literal(i).label("place"), literal(code, String).label("programme")) for i, code in enumerate(codes)]
    return (rows[0].union_all(*rows[1:]) if len(rows) > 1 else rows[0]).subquery("programme_places")


def targeting_people(session: Session, as_of: dt.date) -> Select:
    """The drill-down: each person found excluded or included, with the programme (the
    caller masks the NID)."""
    book = RuleBook.load(session)
    codes = list(book.order)
    people = _people(book, as_of)
    # One pass over the people, each crossed with the programmes and the programme's flags
    # picked by its place: a SELECT per programme over the people would make PostgreSQL
    # materialise every person's row and read it back once per programme.
    places = _programme_places(codes)

    def flag(kind: str) -> ColumnElement[int]:
        return case(*((places.c.place == i, people.c[f"{kind}_{i}"]) for i in range(len(codes))), else_=0)

    excluded, included = flag("excluded"), flag("included")
    found = (
        select(
            people.c.nid,
            people.c.upazila_id,
            places.c.programme,
            case(
                (excluded == 1, literal(Finding.EXCLUDED.value, String)),
                else_=literal(Finding.INCLUDED.value, String),
            ).label("finding"),
        )
        .select_from(people.join(places, true()))
        .where(or_(excluded == 1, included == 1))
        .subquery("found")
    )
    return (
        select(found.c.nid, Upazila.name_en.label("upazila"), found.c.programme, found.c.finding)
        .join(Upazila, Upazila.id == found.c.upazila_id)
        .order_by(found.c.finding, Upazila.name_en, found.c.programme, found.c.nid)
    )
