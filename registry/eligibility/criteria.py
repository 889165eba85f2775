"""The vocabulary of eligibility criteria, each defined in one place.

A programme's rules name these criteria with parameters (seed/eligibility_rules.csv). A
criterion is one object: the parameters it needs, its check (a small pure function of a
citizen's facts giving the outcome with the citizen's value and the required value), and
every way a citizen hears of it: what it is about, the value against what is required, why
it qualifies someone, and what decided against someone with their next step. Adding a
criterion is a class here and its row in ``CRITERIA`` (then the rules CSV and the catalogs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from foundation.wording import Wording
    from registry.eligibility.engine import CitizenFacts, ProgrammeInfo, RuleBook


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # only the office can tell (a list kept by a ministry)


def _outcome(ok: bool) -> Outcome:
    return Outcome.PASS if ok else Outcome.FAIL


@dataclass(frozen=True)
class CriterionResult:
    criterion: str  # its name in the rules (``Criterion.name``)
    outcome: Outcome
    value: Any  # the citizen's value
    required: Any

    @property
    def definition(self) -> Criterion:
        return CRITERIA[self.criterion]


class Criterion:
    """One criterion; subclasses set ``name`` (as the rules CSV writes it) and define ``evaluate``."""

    name: ClassVar[str]
    required_params: ClassVar[tuple[str, ...]] = ()
    # How much a passed criterion says about why someone qualifies (lower says more): what the
    # programme is for (widowhood, a disability, old age) before the means tests many
    # programmes share. None: never the reason given (a mere "no conflicting programme").
    telling: ClassVar[int | None] = None
    # Its outcome would tell which programmes the person receives: a look-up of someone else
    # leaves it to the office.
    reveals_enrolments: ClassVar[bool] = False

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        raise NotImplementedError

    def topic(self, t: Wording) -> str:
        """What it is about ("age"), with neither the person's value nor the threshold (which
        with the decision would bound the value)."""
        raise NotImplementedError

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        """The citizen's value and what is required ("age 58, must be 62 or older")."""
        raise NotImplementedError

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        """Why a passed criterion qualifies the person, with its unit ("age 70 years")."""
        return None

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        """What decided against the person, with its unit, and what they can do next."""
        return self.describe(t, result, book), ask_the_office(t, office)

    def answer_for_someone_else(self, t: Wording, programme: ProgrammeInfo | None) -> str | None:
        """A whole answer that replaces "not eligible: <topic>" for another person, if any."""
        return None


# -- next steps ---------------------------------------------------------------------------
def ask_the_office(t: Wording, office: str) -> str:
    return t._("Ask the %(office)s.", office=office)


def _tell_if_changed(t: Wording, office: str) -> str:
    return t._("If this has changed, tell the %(office)s.", office=office)


def _other_programmes(t: Wording) -> str:
    return t._("For other programmes, choose All programmes.")


def _may_apply_at(t: Wording, age: int, minimum: int, office: str) -> tuple[str, str]:
    return (
        t._("age %(age)s years; you may apply at %(min)s years", age=t.number(age), min=t.number(minimum)),
        t._("Where to apply: %(office)s.", office=office),
    )


# -- the criteria -------------------------------------------------------------------------
class _Age(Criterion):
    def topic(self, t: Wording) -> str:
        return t._("age")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._("age %(age)s, must be %(min)s or older", age=t.number(result.value), min=t.number(result.required))

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t.age(result.value)

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        return _may_apply_at(t, result.value, result.required, office)


class AgeMinByGender(_Age):
    name = "age_min_by_gender"
    required_params = ("M", "F", "X")
    telling = 2

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        minimum = int(params[facts.gender])
        return CriterionResult(self.name, _outcome(facts.age >= minimum), facts.age, minimum)


class AgeMin(_Age):
    name = "age_min"
    required_params = ("years",)
    telling = 3

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        minimum = int(params["years"])
        return CriterionResult(self.name, _outcome(facts.age >= minimum), facts.age, minimum)


class AgeRange(_Age):
    name = "age_range"
    required_params = ("min", "max")
    telling = 4

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        low, high = int(params["min"]), int(params["max"])
        return CriterionResult(self.name, _outcome(low <= facts.age <= high), facts.age, (low, high))

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        low, high = result.required
        return t._(
            "age %(age)s, must be %(min)s to %(max)s", age=t.number(result.value), min=t.number(low), max=t.number(high)
        )

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        low, high = result.required
        if result.value < low:  # too young: it opens to them later
            return _may_apply_at(t, result.value, low, office)
        detail = t._(
            "age %(age)s years; it is for ages %(min)s-%(max)s years",
            age=t.number(result.value),
            min=t.number(low),
            max=t.number(high),
        )
        return detail, _other_programmes(t)


class GenderIn(Criterion):
    name = "gender_in"
    required_params = ("values",)

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        allowed = tuple(params["values"])
        return CriterionResult(self.name, _outcome(facts.gender in allowed), facts.gender, allowed)

    def topic(self, t: Wording) -> str:
        return t._("gender")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        if result.required == ("F",):
            return t._("for women only")
        if result.required == ("M",):
            return t._("for men only")
        return t._("not for your gender")

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        return self.describe(t, result, book), _other_programmes(t)

    def answer_for_someone_else(self, t: Wording, programme: ProgrammeInfo | None) -> str | None:
        # A man asking about a child benefit paid to mothers is not "not eligible: gender".
        return t._("paid to the mother") if programme and programme.paid_to_mother else None


def _marital_status_label(t: Wording, value: str) -> str:
    return {
        "never_married": t._("never married"),
        "married": t._("married"),
        "widowed": t._("widowed"),
        "divorced": t._("divorced"),
        "deserted": t._("deserted"),
    }.get(value, value)


class MaritalStatusIn(Criterion):
    name = "marital_status_in"
    required_params = ("values",)
    telling = 0

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        allowed = tuple(params["values"])
        return CriterionResult(self.name, _outcome(facts.marital_status in allowed), facts.marital_status, allowed)

    def topic(self, t: Wording) -> str:
        return t._("marital status")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        allowed = ", ".join(_marital_status_label(t, v) for v in result.required)
        return t._("%(status)s; must be %(allowed)s", status=_marital_status_label(t, result.value), allowed=allowed)

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return _marital_status_label(t, result.value)

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        # The person's status only: the list of the statuses allowed does not fit a screen
        # beside it in Bangla, and the programme's name already says whom it is for.
        detail = t._("marital status %(status)s", status=_marital_status_label(t, result.value))
        return detail, _tell_if_changed(t, office)


class DisabilityRequired(Criterion):
    name = "disability_required"
    telling = 1

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        return CriterionResult(self.name, _outcome(facts.disability), facts.disability, True)

    def topic(self, t: Wording) -> str:
        return t._("disability")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._("registered disability") if result.value else t._("a registered disability is required")

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t._("registered disability")

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        return t._("a registered disability is required"), t._(
            "To register a disability, contact the %(office)s.", office=office
        )


class HouseholdIncomeMax(Criterion):
    name = "household_income_max"
    required_params = ("bdt",)
    telling = 5

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        ceiling = Decimal(str(params["bdt"]))
        return CriterionResult(self.name, _outcome(facts.household_income <= ceiling), facts.household_income, ceiling)

    def topic(self, t: Wording) -> str:
        return t._("household income")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._(
            "household income Tk %(income)s a month, must be at most Tk %(max)s",
            income=t.number(result.value),
            max=t.number(result.required),
        )

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t._("household income Tk %(income)s a month", income=t.number(result.value))

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        detail = t._(
            "household income Tk %(income)s a month, limit Tk %(max)s",
            income=t.number(result.value),
            max=t.number(result.required),
        )
        return detail, _tell_if_changed(t, office)


class LandMax(Criterion):
    name = "land_max"
    required_params = ("decimal",)
    telling = 7

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        ceiling = Decimal(str(params["decimal"]))
        return CriterionResult(self.name, _outcome(facts.land <= ceiling), facts.land, ceiling)

    def topic(self, t: Wording) -> str:
        return t._("land")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._(
            "land %(land)s decimal, must be at most %(max)s", land=t.number(result.value), max=t.number(result.required)
        )

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t._("land %(land)s decimal", land=t.number(result.value))

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        detail = t._(
            "land %(land)s decimal, limit %(max)s decimal", land=t.number(result.value), max=t.number(result.required)
        )
        return detail, _tell_if_changed(t, office)


class VulnerabilityMin(Criterion):
    name = "vulnerability_min"
    required_params = ("score",)
    telling = 6

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        floor = int(params["score"])
        return CriterionResult(self.name, _outcome(facts.vulnerability >= floor), facts.vulnerability, floor)

    def topic(self, t: Wording) -> str:
        return t._("poverty score")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._(
            "poverty score %(score)s, must be %(min)s or more",
            score=t.number(result.value),
            min=t.number(result.required),
        )

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t._("poverty score %(score)s of 100", score=t.number(result.value))

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        detail = t._(
            "poverty score %(score)s of 100, needed %(min)s",
            score=t.number(result.value),
            min=t.number(result.required),
        )
        return detail, _tell_if_changed(t, office)


class AreaIn(Criterion):
    name = "area_in"
    telling = 8

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        districts = {name.lower() for name in params.get("districts", [])}
        upazilas = {int(code) for code in params.get("upazilas", [])}
        covered = facts.district_name.lower() in districts or facts.upazila_id in upazilas
        return CriterionResult(self.name, _outcome(covered), facts.district_name, tuple(params.get("districts", [])))

    def topic(self, t: Wording) -> str:
        return t._("district")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._("not run in your district") if result.outcome is Outcome.FAIL else t._("runs in your district")

    def reason_met(self, t: Wording, result: CriterionResult) -> str | None:
        return t._("runs in your district")

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        return t._("not run in your district"), _other_programmes(t)


class NotEnrolledIn(Criterion):
    name = "not_enrolled_in"
    required_params = ("programmes",)
    reveals_enrolments = True

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        conflicting = tuple(code for code in params["programmes"] if code in facts.active_programmes)
        return CriterionResult(self.name, _outcome(not conflicting), conflicting, tuple(params["programmes"]))

    def topic(self, t: Wording) -> str:
        return t._("another programme")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        if result.value:
            names = ", ".join(book.name_of(code, t.locale) for code in result.value)
            return t._("already receives %(programme)s", programme=names)
        return t._("no conflicting programme")

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        if not result.value:
            return super().deciding(t, result, office, book)
        names = ", ".join(book.name_of(code, t.locale, short=True) for code in result.value)
        return t._("you receive %(programme)s, which rules it out", programme=names), ask_the_office(t, office)


def _list_label(t: Wording, name: str) -> str:
    return {
        "freedom_fighters": t._("the freedom fighters list"),
        "retired_government_employees": t._("the government pensioners list"),
        "primary_school_enrolment": t._("primary school enrolment records"),
    }.get(name, name)


class ListedIn(Criterion):
    name = "listed_in"
    required_params = ("list",)

    def evaluate(self, facts: CitizenFacts, params: dict[str, Any]) -> CriterionResult:
        # Lists such as freedom fighters are kept by their ministries, not in this registry:
        # the honest answer is "must be verified", never a guess.
        return CriterionResult(self.name, Outcome.UNKNOWN, None, params["list"])

    def topic(self, t: Wording) -> str:
        # The programme's name already says which list; "primary school enrolment records"
        # beside the longest programme name would split a one-line answer over two pages.
        return t._("ministry records")

    def describe(self, t: Wording, result: CriterionResult, book: RuleBook) -> str:
        return t._("must be verified against %(list)s", list=_list_label(t, result.required))

    def deciding(self, t: Wording, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
        # The list is the ministry's, and its office checks it.
        return _list_label(t, result.required), ask_the_office(t, office)


CRITERIA: dict[str, Criterion] = {
    criterion.name: criterion
    for criterion in (
        AgeMinByGender(),
        AgeMin(),
        AgeRange(),
        GenderIn(),
        MaritalStatusIn(),
        DisabilityRequired(),
        HouseholdIncomeMax(),
        LandMax(),
        VulnerabilityMin(),
        AreaIn(),
        NotEnrolledIn(),
        ListedIn(),
    )
}


def validate_rule(criterion: str, params: dict[str, Any]) -> Criterion:
    """The criterion a rule names, once its parameters are checked: rules are checked when
    loaded, so a typo in the seed data fails at `db upgrade` and in CI instead of at a
    citizen's request."""
    if criterion not in CRITERIA:
        raise ValueError(f"unknown eligibility criterion {criterion!r}")
    definition = CRITERIA[criterion]
    missing = [key for key in definition.required_params if key not in params]
    if missing:
        raise ValueError(f"criterion {criterion!r} lacks parameters {missing}")
    return definition
