"""Eligibility results as sentences for citizens, in Bangla or English.

"not eligible: age 58, must be 62 or older". Every string goes through gettext; numbers
are formatted for the locale (Bengali digits in Bangla).
"""

from __future__ import annotations

from flask_babel import force_locale, gettext

from registry.eligibility.engine import CriterionResult, Decision, EligibilityResult, RuleBook
from sahayata.i18n import format_number


def _marital_status_label(value: str) -> str:
    return {
        "never_married": gettext("never married"),
        "married": gettext("married"),
        "widowed": gettext("widowed"),
        "divorced": gettext("divorced"),
        "deserted": gettext("deserted"),
    }.get(value, value)


def _gender_restriction(allowed: tuple[str, ...]) -> str:
    if allowed == ("F",):
        return gettext("for women only")
    if allowed == ("M",):
        return gettext("for men only")
    return gettext("not for your gender")


def _list_label(name: str) -> str:
    return {
        "freedom_fighters": gettext("the freedom fighters list"),
        "retired_government_employees": gettext("the government pensioners list"),
        "primary_school_enrolment": gettext("primary school enrolment records"),
    }.get(name, name)


def describe_criterion(result: CriterionResult, locale: str, book: RuleBook) -> str:
    """One criterion, with the citizen's value and what is required."""
    n = lambda value: format_number(value, locale)  # noqa: E731
    c, value, required = result.criterion, result.value, result.required
    with force_locale(locale):
        if c in ("age_min_by_gender", "age_min"):
            return gettext("age %(age)s, must be %(min)s or older", age=n(value), min=n(required))
        if c == "age_range":
            return gettext(
                "age %(age)s, must be %(min)s to %(max)s", age=n(value), min=n(required[0]), max=n(required[1])
            )
        if c == "gender_in":
            return _gender_restriction(required)
        if c == "marital_status_in":
            allowed = ", ".join(_marital_status_label(v) for v in required)
            return gettext("%(status)s; must be %(allowed)s", status=_marital_status_label(value), allowed=allowed)
        if c == "disability_required":
            if value:
                return gettext("registered disability")
            return gettext("a registered disability is required")
        if c == "household_income_max":
            return gettext(
                "household income Tk %(income)s a month, must be at most Tk %(max)s", income=n(value), max=n(required)
            )
        if c == "land_max":
            return gettext("land %(land)s decimal, must be at most %(max)s", land=n(value), max=n(required))
        if c == "vulnerability_min":
            return gettext("poverty score %(score)s, must be %(min)s or more", score=n(value), min=n(required))
        if c == "area_in":
            return gettext("not run in your district") if result.outcome == "fail" else gettext("runs in your district")
        if c == "not_enrolled_in":
            if value:
                names = ", ".join(programme_name(code, locale, book) for code in value)
                return gettext("already receives %(programme)s", programme=names)
            return gettext("no conflicting programme")
        if c == "listed_in":
            return gettext("must be verified against %(list)s", list=_list_label(required))
        return c


def programme_name(code: str, locale: str, book: RuleBook) -> str:
    english, bangla = book.programme_names[code]
    return bangla if locale == "bn" else english


def summarise(result: EligibilityResult, locale: str, book: RuleBook) -> str:
    """The decision and its main reason, e.g. "not eligible: age 58, must be 62 or older"."""
    with force_locale(locale):
        reason = result.main_reason
        if result.decision is Decision.ELIGIBLE:
            return gettext("eligible")
        detail = describe_criterion(reason, locale, book) if reason else ""
        if result.decision is Decision.NEEDS_VERIFICATION:
            return gettext("needs verification: %(reason)s", reason=detail)
        return gettext("not eligible: %(reason)s", reason=detail)
