"""Eligibility results as sentences for citizens, in Bangla, English or romanized Bangla.

"not eligible: age 58, must be 62 or older" for the citizen themselves; "not eligible: age"
for a look-up of someone else. Every string goes through gettext; numbers are formatted for
the locale (Bengali digits in Bangla script).
"""

from __future__ import annotations

from registry.eligibility.engine import CriterionResult, Decision, EligibilityResult, RuleBook
from sahayata.i18n import format_number, translate


class _Text:
    """gettext bound to one locale; ``t._("…")`` keeps the strings extractable."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def _(self, message: str, **variables: object) -> str:
        return translate(self.locale, message, **variables)

    def n(self, value: object) -> str:
        return format_number(value, self.locale)  # type: ignore[arg-type]


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


def summarise_decision(result: EligibilityResult, locale: str) -> str:
    """The decision and the name of what decided it, e.g. "not eligible: age": all that a
    look-up of another person may tell."""
    t = _Text(locale)
    if result.decision is Decision.ELIGIBLE:
        return t._("eligible")
    reason = result.main_reason
    name = criterion_name(reason, locale) if reason else ""
    if result.decision is Decision.NEEDS_VERIFICATION:
        return t._("needs verification: %(reason)s", reason=name)
    return t._("not eligible: %(reason)s", reason=name)
