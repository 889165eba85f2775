"""Eligibility results as sentences for citizens, in Bangla, English or romanized Bangla.

For the citizen themselves an answer fits the person (``explain_answer``): what they receive
if they are enrolled, the decision with its deciding criterion, its unit and a next step
("not eligible: age 64 years; you may apply at 65 years"), the office to go to. For a
look-up of someone else, the decision and the name of what decided it ("not eligible: age").
Every string goes through gettext; numbers are formatted for the locale (Bengali digits in
Bangla script).
"""

from __future__ import annotations

from collections.abc import Iterable

from foundation.i18n import format_number, to_bengali_digits, translate
from registry import labels
from registry.eligibility.engine import (
    Answer,
    CriterionResult,
    Decision,
    EligibilityResult,
    RuleBook,
    Standing,
)
from registry.models import EnrolmentStatus


class _Text:
    """gettext bound to one locale; ``t._("…")`` keeps the strings extractable."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def _(self, message: str, **variables: object) -> str:
        return translate(self.locale, message, **variables)

    def n(self, value: object) -> str:
        return format_number(value, self.locale)  # type: ignore[arg-type]

    def year(self, value: int) -> str:
        """A year is digits without grouping ("২০১৯", never "২,০১৯")."""
        return to_bengali_digits(str(value)) if self.locale == "bn" else str(value)

    def sentence(self, text: str) -> str:
        return text + ("।" if self.locale == "bn" else ".")


def _marital_status_label(t: _Text, value: str) -> str:
    return {
        "never_married": t._("never married"),
        "married": t._("married"),
        "widowed": t._("widowed"),
        "divorced": t._("divorced"),
        "deserted": t._("deserted"),
    }.get(value, value)


def _gender_restriction(t: _Text, allowed: tuple[str, ...]) -> str:
    if allowed == ("F",):
        return t._("for women only")
    if allowed == ("M",):
        return t._("for men only")
    return t._("not for your gender")


def _list_label(t: _Text, name: str) -> str:
    return {
        "freedom_fighters": t._("the freedom fighters list"),
        "retired_government_employees": t._("the government pensioners list"),
        "primary_school_enrolment": t._("primary school enrolment records"),
    }.get(name, name)


def describe_criterion(result: CriterionResult, locale: str, book: RuleBook) -> str:
    """One criterion, with the citizen's value and what is required."""
    t = _Text(locale)
    c, value, required = result.criterion, result.value, result.required
    if c in ("age_min_by_gender", "age_min"):
        return t._("age %(age)s, must be %(min)s or older", age=t.n(value), min=t.n(required))
    if c == "age_range":
        low, high = required
        return t._("age %(age)s, must be %(min)s to %(max)s", age=t.n(value), min=t.n(low), max=t.n(high))
    if c == "gender_in":
        return _gender_restriction(t, required)
    if c == "marital_status_in":
        allowed = ", ".join(_marital_status_label(t, v) for v in required)
        return t._("%(status)s; must be %(allowed)s", status=_marital_status_label(t, value), allowed=allowed)
    if c == "disability_required":
        return t._("registered disability") if value else t._("a registered disability is required")
    if c == "household_income_max":
        return t._(
            "household income Tk %(income)s a month, must be at most Tk %(max)s", income=t.n(value), max=t.n(required)
        )
    if c == "land_max":
        return t._("land %(land)s decimal, must be at most %(max)s", land=t.n(value), max=t.n(required))
    if c == "vulnerability_min":
        return t._("poverty score %(score)s, must be %(min)s or more", score=t.n(value), min=t.n(required))
    if c == "area_in":
        return t._("not run in your district") if result.outcome == "fail" else t._("runs in your district")
    if c == "not_enrolled_in":
        if value:
            names = ", ".join(programme_name(code, locale, book) for code in value)
            return t._("already receives %(programme)s", programme=names)
        return t._("no conflicting programme")
    if c == "listed_in":
        return t._("must be verified against %(list)s", list=_list_label(t, required))
    return c


def programme_name(code: str, locale: str, book: RuleBook, short: bool = False) -> str:
    """Full names for reports; short ones (which fit a USSD line) for phones."""
    names = book.short_names[code] if short else book.programme_names[code]
    return names.get(locale) or names["en"]


def summarise(result: EligibilityResult, locale: str, book: RuleBook) -> str:
    """The decision and its main reason, e.g. "not eligible: age 58, must be 62 or older"."""
    t = _Text(locale)
    if result.decision is Decision.ELIGIBLE:
        return t._("eligible")
    reason = result.main_reason
    detail = describe_criterion(reason, locale, book) if reason else ""
    if result.decision is Decision.NEEDS_VERIFICATION:
        return t._("needs verification: %(reason)s", reason=detail)
    return t._("not eligible: %(reason)s", reason=detail)


def criterion_name(result: CriterionResult, locale: str) -> str:
    """What a criterion is about ("age", "household income"), with neither the person's value
    nor the threshold (which with the decision would bound the value)."""
    t = _Text(locale)
    c = result.criterion
    if c in ("age_min_by_gender", "age_min", "age_range"):
        return t._("age")
    names = {
        "gender_in": t._("gender"),
        "marital_status_in": t._("marital status"),
        "disability_required": t._("disability"),
        "household_income_max": t._("household income"),
        "land_max": t._("land"),
        "vulnerability_min": t._("poverty score"),
        "area_in": t._("district"),
        "not_enrolled_in": t._("another programme"),
        # The programme's name already says which list; "primary school enrolment records"
        # beside the longest programme name would split a one-line answer over two pages.
        "listed_in": t._("ministry records"),
    }
    return names.get(c, c)


def summarise_decision(result: EligibilityResult, locale: str, book: RuleBook | None = None) -> str:
    """The decision and the name of what decided it, e.g. "not eligible: age": all that a
    look-up of another person may tell."""
    t = _Text(locale)
    if result.decision is Decision.ELIGIBLE:
        return t._("eligible")
    reason = result.main_reason
    if reason and reason.criterion == "gender_in" and book and _paid_to_mother(book, result.programme_code):
        return t._("paid to the mother")
    name = criterion_name(reason, locale) if reason else ""
    if result.decision is Decision.NEEDS_VERIFICATION:
        return t._("needs verification: %(reason)s", reason=name)
    return t._("not eligible: %(reason)s", reason=name)


# -- answers for the person themselves ------------------------------------------------------
def _paid_to_mother(book: RuleBook, code: str) -> bool:
    info = book.programmes.get(code)
    return bool(info and info.paid_to_mother)


def office_name(code: str, locale: str, book: RuleBook) -> str:
    """The office citizens go to for this programme (seed/offices.csv), in their script."""
    return labels.office_name(locale, book.programmes.get(code))


def explain_answer(answer: Answer, locale: str, book: RuleBook) -> str:
    """The whole answer for the person asking about themselves, the decision first (it has
    to be on the first USSD page), then the next step and the office."""
    t = _Text(locale)
    name = programme_name(answer.programme_code, locale, book, short=True)
    office = office_name(answer.programme_code, locale, book)
    if answer.standing is Standing.RECEIVES and answer.enrolment:
        since = t.year(answer.enrolment.since.year)
        if answer.enrolment.status is EnrolmentStatus.SUSPENDED:
            return " ".join(
                [
                    t._(
                        "%(programme)s: you are enrolled since %(year)s, but it is suspended.",
                        programme=name,
                        year=since,
                    ),
                    t._("Ask the %(office)s.", office=office),
                ]
            )
        return t._("%(programme)s: you receive it since %(year)s, status active.", programme=name, year=since)
    if answer.standing is Standing.HOUSEHOLD_RECEIVES:
        return t._("%(programme)s: your household receives it; it is given once per household.", programme=name)
    if answer.standing is Standing.PAID_TO_MOTHER:
        return " ".join(
            [
                t._("%(programme)s: it is paid to the child's mother.", programme=name),
                t._("She can check it from her registered phone."),
            ]
        )
    return " ".join(_assessed(t, answer.result, name, office, book))


def _assessed(t: _Text, result: EligibilityResult, name: str, office: str, book: RuleBook) -> list[str]:
    if result.decision is Decision.ELIGIBLE:
        met = result.main_reason_met
        reason = _reason_met(t, met) if met else None
        first = (
            t._("%(programme)s: eligible (%(reason)s).", programme=name, reason=reason)
            if reason
            else t._("%(programme)s: eligible.", programme=name)
        )
        return [first, t._("To enrol, take your NID card to the %(office)s.", office=office)]
    reason = result.main_reason
    if reason is None:  # a decision other than eligible always has a deciding criterion
        return [t.sentence(f"{name}: {summarise(result, t.locale, book)}")]
    detail, step = _deciding(t, reason, office, book)
    if result.decision is Decision.NEEDS_VERIFICATION:
        first = t._("%(programme)s: needs verification: %(reason)s.", programme=name, reason=detail)
    else:
        first = t._("%(programme)s: not eligible: %(reason)s.", programme=name, reason=detail)
    return [first, step]


def _reason_met(t: _Text, result: CriterionResult) -> str | None:
    """Why a passed criterion qualifies the person, with its unit ("age 70 years")."""
    c, value = result.criterion, result.value
    if c in ("age_min_by_gender", "age_min", "age_range"):
        return t._("age %(age)s years", age=t.n(value))
    if c == "marital_status_in":
        return _marital_status_label(t, value)
    if c == "disability_required":
        return t._("registered disability")
    if c == "household_income_max":
        return t._("household income Tk %(income)s a month", income=t.n(value))
    if c == "vulnerability_min":
        return t._("poverty score %(score)s of 100", score=t.n(value))
    if c == "land_max":
        return t._("land %(land)s decimal", land=t.n(value))
    if c == "area_in":
        return t._("runs in your district")
    return None


def _deciding(t: _Text, result: CriterionResult, office: str, book: RuleBook) -> tuple[str, str]:
    """What decided against the person, with its unit, and what they can do next."""
    c, value, required = result.criterion, result.value, result.required
    changed = t._("If this has changed, tell the %(office)s.", office=office)
    elsewhere = t._("For other programmes, choose All programmes.")
    if c in ("age_min_by_gender", "age_min") or (c == "age_range" and value < required[0]):
        minimum = required[0] if c == "age_range" else required
        return (
            t._("age %(age)s years; you may apply at %(min)s years", age=t.n(value), min=t.n(minimum)),
            t._("Where to apply: %(office)s.", office=office),
        )
    if c == "age_range":
        low, high = required
        detail = t._(
            "age %(age)s years; it is for ages %(min)s-%(max)s years", age=t.n(value), min=t.n(low), max=t.n(high)
        )
        return detail, elsewhere
    if c == "gender_in":
        return _gender_restriction(t, required), elsewhere
    if c == "marital_status_in":
        # The person's status only: the list of the statuses allowed does not fit a screen
        # beside it in Bangla, and the programme's name already says whom it is for.
        return t._("marital status %(status)s", status=_marital_status_label(t, value)), changed
    if c == "disability_required":
        return t._("a registered disability is required"), t._(
            "To register a disability, contact the %(office)s.", office=office
        )
    if c == "household_income_max":
        detail = t._("household income Tk %(income)s a month, limit Tk %(max)s", income=t.n(value), max=t.n(required))
        return detail, changed
    if c == "land_max":
        return t._("land %(land)s decimal, limit %(max)s decimal", land=t.n(value), max=t.n(required)), changed
    if c == "vulnerability_min":
        return t._("poverty score %(score)s of 100, needed %(min)s", score=t.n(value), min=t.n(required)), changed
    if c == "area_in":
        return t._("not run in your district"), elsewhere
    if c == "not_enrolled_in" and value:
        names = ", ".join(programme_name(code, t.locale, book, short=True) for code in value)
        return t._("you receive %(programme)s, which rules it out", programme=names), t._(
            "Ask the %(office)s.", office=office
        )
    if c == "listed_in":  # the list is the ministry's, and its office checks it
        return _list_label(t, required), t._("Ask the %(office)s.", office=office)
    return describe_criterion(result, t.locale, book), t._("Ask the %(office)s.", office=office)


def overview(answers: Iterable[Answer], locale: str, book: RuleBook) -> str:
    """ "All programmes" for the person themselves: what they (and their household) receive
    first, then the decisions on the rest, each list in the programmes' fixed order."""
    t = _Text(locale)
    answers = list(answers)

    def names(standing: Standing, decision: Decision | None = None) -> list[str]:
        return [
            programme_name(a.programme_code, locale, book, short=True)
            for a in answers
            if a.standing is standing and (decision is None or a.result.decision is decision)
        ]

    receives, household = names(Standing.RECEIVES), names(Standing.HOUSEHOLD_RECEIVES)
    parts = []
    if receives:
        parts.append(t._("You receive: %(list)s.", list=", ".join(receives)))
    if household:
        parts.append(t._("Your household receives: %(list)s.", list=", ".join(household)))
    parts += _decision_lists(
        t,
        names(Standing.ASSESSED, Decision.ELIGIBLE),
        names(Standing.ASSESSED, Decision.NEEDS_VERIFICATION),
        receives_any=bool(receives or household),
    )
    return " ".join(parts)


def overview_of_decisions(results: Iterable[EligibilityResult], locale: str, book: RuleBook) -> str:
    """ "All programmes" for a look-up of someone else: decisions only."""
    t = _Text(locale)
    results = list(results)

    def names(decision: Decision) -> list[str]:
        return [programme_name(r.programme_code, locale, book, short=True) for r in results if r.decision is decision]

    return " ".join(
        _decision_lists(t, names(Decision.ELIGIBLE), names(Decision.NEEDS_VERIFICATION), receives_any=False)
    )


def _decision_lists(t: _Text, eligible: list[str], verify: list[str], *, receives_any: bool) -> list[str]:
    parts = []
    if eligible:
        parts.append(t._("Eligible: %(list)s.", list=", ".join(eligible)))
    elif receives_any:
        parts.append(t._("Not eligible for any other programme."))
    else:
        parts.append(t._("Not eligible for any programme."))
    if verify:
        parts.append(t._("Needs verification: %(list)s.", list=", ".join(verify)))
    parts.append(t._("Choose a programme for the reason."))
    return parts
