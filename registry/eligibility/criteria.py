"""The vocabulary of eligibility criteria.

A programme's rules name these criteria with parameters (seed/eligibility_rules.csv). Each
criterion is a small pure function of a citizen's facts returning the outcome together with
the citizen's value and the required value, which is what the explanation shows.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.eligibility.engine import CitizenFacts

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"

Evaluation = tuple[str, Any, Any]  # (outcome, citizen's value, required value)
Criterion = Callable[["CitizenFacts", dict[str, Any]], Evaluation]


def _outcome(ok: bool) -> str:
    return PASS if ok else FAIL


def age_min_by_gender(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    minimum = int(params[facts.gender])
    return _outcome(facts.age >= minimum), facts.age, minimum


def age_min(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    minimum = int(params["years"])
    return _outcome(facts.age >= minimum), facts.age, minimum


def age_range(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    low, high = int(params["min"]), int(params["max"])
    return _outcome(low <= facts.age <= high), facts.age, (low, high)


def gender_in(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    allowed = tuple(params["values"])
    return _outcome(facts.gender in allowed), facts.gender, allowed


def marital_status_in(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    allowed = tuple(params["values"])
    return _outcome(facts.marital_status in allowed), facts.marital_status, allowed


def disability_required(facts: CitizenFacts, _params: dict[str, Any]) -> Evaluation:
    return _outcome(facts.disability), facts.disability, True


def household_income_max(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    ceiling = Decimal(str(params["bdt"]))
    return _outcome(facts.household_income <= ceiling), facts.household_income, ceiling


def land_max(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    ceiling = Decimal(str(params["decimal"]))
    return _outcome(facts.land <= ceiling), facts.land, ceiling


def vulnerability_min(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    floor = int(params["score"])
    return _outcome(facts.vulnerability >= floor), facts.vulnerability, floor


def area_in(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    districts = {name.lower() for name in params.get("districts", [])}
    upazilas = {int(code) for code in params.get("upazilas", [])}
    covered = facts.district_name.lower() in districts or facts.upazila_id in upazilas
    return _outcome(covered), facts.district_name, tuple(params.get("districts", []))


def not_enrolled_in(facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    conflicting = tuple(code for code in params["programmes"] if code in facts.active_programmes)
    return _outcome(not conflicting), conflicting, tuple(params["programmes"])


def listed_in(_facts: CitizenFacts, params: dict[str, Any]) -> Evaluation:
    # Lists such as freedom fighters are kept by their ministries, not in this registry:
    # the honest answer is "must be verified", never a guess.
    return UNKNOWN, None, params["list"]


CRITERIA: dict[str, Criterion] = {
    fn.__name__: fn
    for fn in (
        age_min_by_gender,
        age_min,
        age_range,
        gender_in,
        marital_status_in,
        disability_required,
        household_income_max,
        land_max,
        vulnerability_min,
        area_in,
        not_enrolled_in,
        listed_in,
    )
}

# Parameters each criterion needs; checked when rules are loaded, so a typo in the seed
# data fails at `db upgrade` and in CI instead of at a citizen's request.
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "age_min_by_gender": ("M", "F", "X"),
    "age_min": ("years",),
    "age_range": ("min", "max"),
    "gender_in": ("values",),
    "marital_status_in": ("values",),
    "disability_required": (),
    "household_income_max": ("bdt",),
    "land_max": ("decimal",),
    "vulnerability_min": ("score",),
    "area_in": (),
    "not_enrolled_in": ("programmes",),
    "listed_in": ("list",),
}
