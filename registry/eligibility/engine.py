"""Evaluating a programme's rules against a citizen's facts."""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from registry.eligibility.criteria import CRITERIA, FAIL, REQUIRED_PARAMS, UNKNOWN
from registry.models import Citizen, EligibilityRule, EnrolmentStatus, Programme
from registry.vulnerability import age_on
from sahayata.i18n import ROMANIZED_BANGLA


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Decision(enum.StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_VERIFICATION = "needs_verification"


@dataclass(frozen=True)
class CitizenFacts:
    age: int
    gender: str
    marital_status: str
    disability: bool
    household_income: Decimal
    land: Decimal
    vulnerability: int
    district_name: str
    upazila_id: int
    active_programmes: frozenset[str]


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    outcome: Outcome
    value: Any  # the citizen's value
    required: Any


@dataclass(frozen=True)
class EligibilityResult:
    programme_code: str
    decision: Decision
    criteria: tuple[CriterionResult, ...]

    @property
    def main_reason(self) -> CriterionResult | None:
        """The first failed criterion, else the first unverifiable one."""
        for wanted in (Outcome.FAIL, Outcome.UNKNOWN):
            for result in self.criteria:
                if result.outcome is wanted:
                    return result
        return None


@dataclass(frozen=True)
class RuleBook:
    rules: dict[str, tuple[tuple[str, dict[str, Any]], ...]]
    programme_names: dict[str, dict[str, str]]  # code -> {locale: full name}
    short_names: dict[str, dict[str, str]]  # code -> {locale: name that fits a USSD line}

    @classmethod
    def load(cls, session: Session) -> RuleBook:
        rules: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for rule in session.scalars(
            select(EligibilityRule).order_by(EligibilityRule.programme_code, EligibilityRule.position)
        ):
            validate_rule(rule.criterion, rule.params)
            rules.setdefault(rule.programme_code, []).append((rule.criterion, rule.params))
        programmes = session.scalars(select(Programme)).all()
        names = {p.code: {"en": p.name_en, "bn": p.name_bn} for p in programmes}
        short = {
            p.code: {"en": p.short_name_en, "bn": p.short_name_bn, ROMANIZED_BANGLA: p.short_name_bn_latn}
            for p in programmes
        }
        return cls({code: tuple(rules.get(code, ())) for code in names}, names, short)


def validate_rule(criterion: str, params: dict[str, Any]) -> None:
    if criterion not in CRITERIA:
        raise ValueError(f"unknown eligibility criterion {criterion!r}")
    missing = [key for key in REQUIRED_PARAMS[criterion] if key not in params]
    if missing:
        raise ValueError(f"criterion {criterion!r} lacks parameters {missing}")


def rulebook(session: Session) -> RuleBook:
    """The rules, cached per process for SAHAYATA_RULES_CACHE_SECONDS.

    Rules change a few times a year (a budget sets new thresholds), while a check runs on
    every USSD hop; a few minutes of staleness across web nodes is the accepted price.
    """
    return rulebook_opening(lambda: session)


def rulebook_opening(open_session: Callable[[], Session]) -> RuleBook:
    """``rulebook``, asking for a session only when the cache must be filled: a USSD hop
    that names a programme would otherwise open an ORM session for nothing."""
    cache = current_app.extensions.setdefault("sahayata.rulebook", {})
    now = time.monotonic()
    if cache.get("expires", 0) < now:
        cache["book"] = RuleBook.load(open_session())
        cache["expires"] = now + current_app.config["SAHAYATA_RULES_CACHE_SECONDS"]
    return cache["book"]


def forget_cached_rulebook() -> None:
    current_app.extensions.pop("sahayata.rulebook", None)


def check(facts: CitizenFacts, programme_code: str, book: RuleBook) -> EligibilityResult:
    if programme_code not in book.rules:
        raise KeyError(f"unknown programme {programme_code!r}")
    results = []
    for criterion, params in book.rules[programme_code]:
        outcome, value, required = CRITERIA[criterion](facts, params)
        results.append(CriterionResult(criterion, Outcome(outcome), value, required))
    outcomes = {r.outcome.value for r in results}
    if FAIL in outcomes:
        decision = Decision.NOT_ELIGIBLE
    elif UNKNOWN in outcomes:
        decision = Decision.NEEDS_VERIFICATION
    else:
        decision = Decision.ELIGIBLE
    return EligibilityResult(programme_code, decision, tuple(results))


def facts_for_citizen(citizen: Citizen, as_of: dt.date) -> CitizenFacts:
    household = citizen.household
    return CitizenFacts(
        age=age_on(citizen.date_of_birth, as_of),
        gender=citizen.gender.value,
        marital_status=citizen.marital_status.value,
        disability=citizen.disability,
        household_income=household.monthly_income_bdt,
        land=household.land_decimal,
        vulnerability=household.vulnerability_score,
        district_name=citizen.district.name_en,
        upazila_id=citizen.upazila_id,
        active_programmes=frozenset(e.programme_code for e in citizen.enrolments if e.status is EnrolmentStatus.ACTIVE),
    )


def load_citizen_for_check(session: Session, nid: str) -> Citizen | None:
    return session.scalars(
        select(Citizen)
        .where(Citizen.nid == nid)
        .options(joinedload(Citizen.household), joinedload(Citizen.district), selectinload(Citizen.enrolments))
    ).first()


def check_citizen(
    session: Session, citizen: Citizen, programme_code: str | None = None, as_of: dt.date | None = None
) -> list[EligibilityResult]:
    """One programme's result, or every programme's when none is named."""
    book = rulebook(session)
    facts = facts_for_citizen(citizen, as_of or dt.date.today())
    codes = [programme_code] if programme_code else sorted(book.rules)
    return [check(facts, code, book) for code in codes]
