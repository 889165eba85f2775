"""Eligibility results as sentences for citizens, in Bangla, English or romanized Bangla.

For the citizen themselves an answer fits the person (``explain_answer``): what they receive
if they are enrolled, the decision with its deciding criterion, its unit and a next step
("not eligible: age 64 years; you may apply at 65 years"), the office to go to. For a
look-up of someone else, the decision and the name of what decided it ("not eligible: age").
Every string goes through gettext; numbers are formatted for the locale (Bengali digits in
Bangla script). What each criterion says of itself (its topic, its value against the
requirement, its next step) is defined with its check in ``criteria``; this module puts
those sentences into answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from foundation.i18n import translate
from foundation.wording import Wording, wording
from registry import labels
from registry.eligibility.criteria import ask_the_office
from registry.eligibility.engine import (
    Answer,
    CriterionResult,
    Decision,
    EligibilityResult,
    RuleBook,
    Standing,
)
from registry.models import EnrolmentStatus


def describe_criterion(result: CriterionResult, locale: str, book: RuleBook) -> str:
    """One criterion, with the citizen's value and what is required."""
    return result.definition.describe(wording(locale), result, book)


def programme_name(code: str, locale: str, book: RuleBook, short: bool = False) -> str:
    """Full names for reports; short ones (which fit a USSD line) for phones."""
    return book.name_of(code, locale, short)


def summarise(result: EligibilityResult, locale: str, book: RuleBook) -> str:
    """The decision and its main reason, e.g. "not eligible: age 58, must be 62 or older"."""
    t = wording(locale)
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
    return result.definition.topic(wording(locale))


def summarise_decision(result: EligibilityResult, locale: str, book: RuleBook | None = None) -> str:
    """The decision and the name of what decided it, e.g. "not eligible: age": all that a
    look-up of another person may tell."""
    t = wording(locale)
    if result.decision is Decision.ELIGIBLE:
        return t._("eligible")
    reason = result.main_reason
    if reason and book:
        whole = reason.definition.answer_for_someone_else(t, book.programmes.get(result.programme_code))
        if whole:
            return whole
    name = criterion_name(reason, locale) if reason else ""
    if result.decision is Decision.NEEDS_VERIFICATION:
        return t._("needs verification: %(reason)s", reason=name)
    return t._("not eligible: %(reason)s", reason=name)


# -- answers for the person themselves ------------------------------------------------------
def office_name(code: str, locale: str, book: RuleBook) -> str:
    """The office citizens go to for this programme (seed/offices.csv), in their script."""
    return labels.office_name(locale, book.programmes.get(code))


def explain_answer(answer: Answer, locale: str, book: RuleBook) -> str:
    """The whole answer for the person asking about themselves, the decision first (it has
    to be on the first USSD page), then the next step and the office."""
    t = wording(locale)
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
                    ask_the_office(t, office),
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


def _assessed(t: Wording, result: EligibilityResult, name: str, office: str, book: RuleBook) -> list[str]:
    if result.decision is Decision.ELIGIBLE:
        met = result.main_reason_met
        reason = met.definition.reason_met(t, met) if met else None
        first = (
            t._("%(programme)s: eligible (%(reason)s).", programme=name, reason=reason)
            if reason
            else t._("%(programme)s: eligible.", programme=name)
        )
        return [first, t._("To enrol, take your NID card to the %(office)s.", office=office)]
    reason = result.main_reason
    if reason is None:  # a decision other than eligible always has a deciding criterion
        return [t.sentence(f"{name}: {summarise(result, t.locale, book)}")]
    detail, step = reason.definition.deciding(t, reason, office, book)
    if result.decision is Decision.NEEDS_VERIFICATION:
        first = t._("%(programme)s: needs verification: %(reason)s.", programme=name, reason=detail)
    else:
        first = t._("%(programme)s: not eligible: %(reason)s.", programme=name, reason=detail)
    return [first, step]


def overview(answers: Iterable[Answer], locale: str, book: RuleBook) -> str:
    """ "All programmes" for the person themselves: what they (and their household) receive
    first, then the decisions on the rest, each list in the programmes' fixed order."""
    t = wording(locale)
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
    t = wording(locale)
    results = list(results)

    def names(decision: Decision) -> list[str]:
        return [programme_name(r.programme_code, locale, book, short=True) for r in results if r.decision is decision]

    return " ".join(
        _decision_lists(t, names(Decision.ELIGIBLE), names(Decision.NEEDS_VERIFICATION), receives_any=False)
    )


def _decision_lists(t: Wording, eligible: list[str], verify: list[str], *, receives_any: bool) -> list[str]:
    parts = []
    if eligible:
        parts.append(eligible_for(t.locale, eligible))
    elif receives_any:
        parts.append(t._("Not eligible for any other programme."))
    else:
        parts.append(eligible_for_none(t.locale))
    if verify:
        parts.append(needs_verification_for(t.locale, verify))
    parts.append(t._("Choose a programme for the reason."))
    return parts


# -- lists of decisions, for USSD's "All programmes" and the SMS NID command ---------------
def eligible_for(locale: str, names: list[str]) -> str:
    return translate(locale, "Eligible: %(list)s.", list=", ".join(names))


def needs_verification_for(locale: str, names: list[str]) -> str:
    return translate(locale, "Needs verification: %(list)s.", list=", ".join(names))


def eligible_for_none(locale: str) -> str:
    return translate(locale, "Not eligible for any programme.")


def lookup_limit_reached(locale: str) -> str:
    """A phone's look-ups of other people (registry.lookups) are used up for the day."""
    return translate(locale, "You have used today's 5 look-ups. Please try again tomorrow.")
