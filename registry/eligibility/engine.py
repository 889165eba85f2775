"""Evaluating a programme's rules against a citizen's facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Connection, and_, bindparam, join, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from foundation import clock, rule_changes
from foundation.db import connection_of
from foundation.hot_select import HotSelect
from foundation.i18n import ROMANIZED_BANGLA
from registry.eligibility.criteria import CRITERIA, Criterion, CriterionResult, Outcome, validate_rule
from registry.models import (
    BenefitUnit,
    Citizen,
    District,
    EligibilityRule,
    Enrolment,
    EnrolmentStatus,
    Household,
    Programme,
)
from registry.vulnerability import age_on


class Decision(enum.StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_VERIFICATION = "needs_verification"


@dataclass(frozen=True)
class EnrolmentFact:
    programme_code: str
    status: EnrolmentStatus  # active or suspended (an exited enrolment is no longer one)
    since: dt.date


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
    enrolments: tuple[EnrolmentFact, ...] = ()  # the person's own, active or suspended
    # Programmes another member of the household receives (active): a household programme
    # (Food Friendly, VGF) serves the whole family through one member's enrolment.
    household_programmes: frozenset[str] = frozenset()

    def enrolment(self, programme_code: str) -> EnrolmentFact | None:
        return next((e for e in self.enrolments if e.programme_code == programme_code), None)


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

    @property
    def main_reason_met(self) -> CriterionResult | None:
        """The passed criterion that says most about why the person qualifies: what the
        programme is for (widowhood, a disability, old age) before the means tests, which
        many programmes share, and never a mere "no conflicting programme"."""
        passed = [r for r in self.criteria if r.outcome is Outcome.PASS and r.definition.telling is not None]
        return min(passed, key=lambda r: r.definition.telling, default=None)  # type: ignore[arg-type,return-value]


@dataclass(frozen=True)
class ProgrammeInfo:
    """What the answers need to know of a programme besides its rules."""

    code: str
    benefit_unit: BenefitUnit
    paid_to: str | None  # "mother": paid to the child's mother, whoever asks
    office: dict[str, str]  # locale -> the office citizens go to for it

    @property
    def paid_to_mother(self) -> bool:
        return self.paid_to == "mother"


@dataclass(frozen=True)
class RuleBook:
    # Every dictionary is in the programmes' fixed order (the seed file's): the order of
    # every programme list, the same on every gateway and in every language.
    rules: dict[str, tuple[tuple[str, dict[str, Any]], ...]]
    programme_names: dict[str, dict[str, str]]  # code -> {locale: full name}
    short_names: dict[str, dict[str, str]]  # code -> {locale: name that fits a USSD line}
    programmes: dict[str, ProgrammeInfo] = dataclasses.field(default_factory=dict)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.rules)

    @functools.cached_property
    def checks(self) -> dict[str, tuple[tuple[Criterion, dict[str, Any]], ...]]:
        """``rules`` with each criterion's definition in place of its name, for ``check``."""
        return {code: tuple((CRITERIA[name], params) for name, params in rules) for code, rules in self.rules.items()}

    def name_of(self, code: str, locale: str, short: bool = False) -> str:
        """A programme's full name for reports; its short one (which fits a USSD line) for phones."""
        names = self.short_names[code] if short else self.programme_names[code]
        return names.get(locale) or names["en"]

    @classmethod
    def load(cls, session: Session, day: dt.date | None = None) -> RuleBook:
        """The rules in force on ``day`` (default: today in Bangladesh): each programme's
        latest set that has taken effect, or its first set for a day before any has."""
        day = day or rules_day()
        sets: dict[str, dict[dt.date, list[tuple[str, dict[str, Any]]]]] = {}
        for rule in session.scalars(
            select(EligibilityRule).order_by(
                EligibilityRule.programme_code, EligibilityRule.effective_from, EligibilityRule.position
            )
        ):
            validate_rule(rule.criterion, rule.params)
            sets.setdefault(rule.programme_code, {}).setdefault(rule.effective_from, []).append(
                (rule.criterion, rule.params)
            )
        rules = {code: by_day[in_force_from(by_day, day)] for code, by_day in sets.items()}
        programmes = session.scalars(
            select(Programme).options(joinedload(Programme.office)).order_by(Programme.position, Programme.code)
        ).all()
        names = {p.code: {"en": p.name_en, "bn": p.name_bn} for p in programmes}
        short = {
            p.code: {"en": p.short_name_en, "bn": p.short_name_bn, ROMANIZED_BANGLA: p.short_name_bn_latn}
            for p in programmes
        }
        info = {p.code: _programme_info(p) for p in programmes}
        return cls({code: tuple(rules.get(code, ())) for code in names}, names, short, info)


# Bangladesh has one time zone and no daylight saving: a rule "from 1 July" means Dhaka's.
DHAKA = dt.timezone(dt.timedelta(hours=6))


def rules_day() -> dt.date:
    """Today in Bangladesh, through the clock seam (tests move it)."""
    return clock.utcnow().astimezone(DHAKA).date()


def in_force_from(starts: Iterable[dt.date], day: dt.date) -> dt.date:
    """Which of a programme's sets (by the day each takes effect) is in force on ``day``."""
    ordered = sorted(starts)
    begun = [start for start in ordered if start <= day]
    return begun[-1] if begun else ordered[0]


def _programme_info(programme: Programme) -> ProgrammeInfo:
    office = programme.office
    names = (
        {"en": office.name_en, "bn": office.name_bn, ROMANIZED_BANGLA: office.name_bn_latn}
        if office
        else {}  # explain.office_name falls back to a translated generic office
    )
    return ProgrammeInfo(programme.code, BenefitUnit(programme.benefit_unit), programme.paid_to, names)


def rulebook(session: Session, day: dt.date | None = None) -> RuleBook:
    """The rules in force on ``day`` (default today), cached per process.

    Rules change a few times a year, while a check runs on every USSD hop, so a process
    keeps them; an import reaches it within a second (see ``rulebook_opening``).
    """
    return rulebook_opening(lambda: session, day)


# How long a cached rule book is trusted before the newest rule change's id is compared
# with the one it was built at: one small indexed query a second per process (not one per
# hop), and an imported change is in force everywhere a second after it commits. The
# version lives in the database, next to the change it counts, so it can be neither lost
# nor ahead of the commit (a Redis key can be both, and embedded Redis is per process).
VERSION_CHECK_SECONDS = 1.0
RULES_KIND = "eligibility"  # foundation.rule_changes kind
_DAYS_KEPT = 4  # a process asks for today, and now and then another day (the CLI's --on)


@dataclass
class _CachedBook:
    book: RuleBook
    version: int
    expires: float  # SAHAYATA_RULES_CACHE_SECONDS after loading: a bound even if checks fail
    checked: float


def rulebook_opening(open_session: Callable[[], Session], day: dt.date | None = None) -> RuleBook:
    """``rulebook``, asking for a session only when the cache must be checked or filled: a
    USSD hop that names a programme would otherwise open an ORM session for nothing."""
    day = day or rules_day()
    books: dict[dt.date, _CachedBook] = current_app.extensions.setdefault("sahayata.rulebook", {})
    now = time.monotonic()
    entry = books.get(day)
    if entry is not None and entry.expires >= now:
        if now - entry.checked < VERSION_CHECK_SECONDS:
            return entry.book
        if rule_changes.version(open_session(), RULES_KIND) == entry.version:
            entry.checked = now
            return entry.book
    session = open_session()
    version = rule_changes.version(session, RULES_KIND)
    book = RuleBook.load(session, day)
    books[day] = _CachedBook(book, version, now + current_app.config["SAHAYATA_RULES_CACHE_SECONDS"], now)
    for stale in sorted(books, key=lambda kept: books[kept].checked)[:-_DAYS_KEPT]:
        books.pop(stale, None)
    return book


def forget_cached_rulebook() -> None:
    current_app.extensions.pop("sahayata.rulebook", None)


def check(facts: CitizenFacts, programme_code: str, book: RuleBook) -> EligibilityResult:
    checks = book.checks.get(programme_code)
    if checks is None:
        raise KeyError(f"unknown programme {programme_code!r}")
    results = tuple(criterion.evaluate(facts, params) for criterion, params in checks)
    return EligibilityResult(programme_code, _decision(results), results)


def _decision(results: Iterable[CriterionResult]) -> Decision:
    outcomes = {r.outcome for r in results}
    if Outcome.FAIL in outcomes:
        return Decision.NOT_ELIGIBLE
    if Outcome.UNKNOWN in outcomes:
        return Decision.NEEDS_VERIFICATION
    return Decision.ELIGIBLE


def facts_for_citizen(citizen: Citizen, as_of: dt.date) -> CitizenFacts:
    """The facts from ORM objects (the CLI, look-ups that loaded the person already);
    ``facts_by_id`` reads the same facts in one select for USSD and SMS."""
    household = citizen.household
    own = [(e.programme_code, e.status, e.enrolled_on) for e in citizen.enrolments]
    others = [
        (e.programme_code, e.status)
        for member in household.members
        if member.id != citizen.id
        for e in member.enrolments
    ]
    return _facts(
        as_of,
        (citizen.date_of_birth, citizen.gender, citizen.marital_status, citizen.disability, citizen.upazila_id),
        (household.monthly_income_bdt, household.land_decimal, household.vulnerability_score),
        citizen.district.name_en,
        own,
        others,
    )


def _facts(
    as_of: dt.date,
    person: tuple[dt.date, Any, Any, bool, int],
    household: tuple[Decimal, Decimal, int],
    district_name: str,
    own: list[tuple[str, EnrolmentStatus, dt.date]],
    others: list[tuple[str, EnrolmentStatus]],
) -> CitizenFacts:
    date_of_birth, gender, marital_status, disability, upazila_id = person
    income, land, vulnerability = household
    enrolments = tuple(
        EnrolmentFact(code, status, since)
        for code, status, since in sorted(own)
        if status is not EnrolmentStatus.EXITED
    )
    return CitizenFacts(
        age=age_on(date_of_birth, as_of),
        gender=gender.value,
        marital_status=marital_status.value,
        disability=bool(disability),
        household_income=income,
        land=land,
        vulnerability=vulnerability,
        district_name=district_name,
        upazila_id=upazila_id,
        active_programmes=frozenset(e.programme_code for e in enrolments if e.status is EnrolmentStatus.ACTIVE),
        enrolments=enrolments,
        household_programmes=frozenset(code for code, status in others if status is EnrolmentStatus.ACTIVE),
    )


# The person, their household and district, and every enrolment in the household, in one
# round trip on the driver's cursor (foundation.hot_select): loading a Citizen with its
# relationships through the ORM cost several times what applying every programme's rules
# does. One row per enrolment in the household; a household without any gives one row with
# NULL enrolment columns.
_member = aliased(Citizen)
_household_enrolments = join(
    _member, Enrolment, and_(Enrolment.citizen_id == _member.id, Enrolment.status != EnrolmentStatus.EXITED)
)
_FACTS_BY_ID = HotSelect(
    select(
        Citizen.date_of_birth,
        Citizen.gender,
        Citizen.marital_status,
        Citizen.disability,
        Citizen.upazila_id,
        Household.monthly_income_bdt,
        Household.land_decimal,
        Household.vulnerability_score,
        District.name_en,
        _member.id,
        Enrolment.programme_code,
        Enrolment.status,
        Enrolment.enrolled_on,
    )
    .join(Household, Household.id == Citizen.household_id)
    .join(District, District.id == Citizen.district_id)
    .outerjoin(_household_enrolments, _member.household_id == Citizen.household_id)
    .where(Citizen.id == bindparam("citizen_id"))
    .order_by(Enrolment.programme_code),
    "citizen_id",
)


def facts_by_id(db: Session | Connection, citizen_id: int, as_of: dt.date) -> CitizenFacts | None:
    """What an eligibility check needs of one citizen, in one prepared select."""
    rows = _FACTS_BY_ID.rows(connection_of(db), citizen_id=citizen_id)
    if not rows:
        return None
    first = rows[0]
    own, others = [], []
    for *_, member_id, code, status, since in rows:
        if code is None:
            continue
        if member_id == citizen_id:
            own.append((code, status, since))
        else:
            others.append((code, status))
    return _facts(as_of, tuple(first[:5]), tuple(first[5:8]), first[8], own, others)  # type: ignore[arg-type]


def facts_as_json(facts: CitizenFacts) -> list[Any]:
    """The facts as a JSON value, for a USSD session to keep between hops (its state is JSON)."""
    return [
        facts.age,
        facts.gender,
        facts.marital_status,
        facts.disability,
        str(facts.household_income),
        str(facts.land),
        facts.vulnerability,
        facts.district_name,
        facts.upazila_id,
        sorted(facts.active_programmes),
        [[e.programme_code, e.status.value, e.since.isoformat()] for e in facts.enrolments],
        sorted(facts.household_programmes),
    ]


def facts_from_json(value: list[Any]) -> CitizenFacts:
    """``facts_as_json`` read back: the same facts."""
    age, gender, marital, disability, income, land, vulnerability, district, upazila, active, own, household = value
    return CitizenFacts(
        age=age,
        gender=gender,
        marital_status=marital,
        disability=disability,
        household_income=Decimal(income),
        land=Decimal(land),
        vulnerability=vulnerability,
        district_name=district,
        upazila_id=upazila,
        active_programmes=frozenset(active),
        enrolments=tuple(
            EnrolmentFact(code, EnrolmentStatus(status), dt.date.fromisoformat(since)) for code, status, since in own
        ),
        household_programmes=frozenset(household),
    )


def load_citizen_for_check(session: Session, nid: str) -> Citizen | None:
    return session.scalars(
        select(Citizen)
        .where(Citizen.nid == nid)
        .options(
            joinedload(Citizen.household).selectinload(Household.members).selectinload(Citizen.enrolments),
            joinedload(Citizen.district),
            selectinload(Citizen.enrolments),
        )
    ).first()


def check_for_someone_else(facts: CitizenFacts, programme_code: str, book: RuleBook) -> EligibilityResult:
    """The rules for a look-up of another person, which must not reveal what they receive:
    a criterion about other programmes (no government pension) is always left to the
    office (needs verification), since "not eligible" or even "eligible" would tell."""
    result = check(dataclasses.replace(facts, active_programmes=frozenset()), programme_code, book)
    criteria = tuple(
        dataclasses.replace(r, outcome=Outcome.UNKNOWN, value=None) if r.definition.reveals_enrolments else r
        for r in result.criteria
    )
    return EligibilityResult(programme_code, _decision(criteria), criteria)


class Standing(enum.StrEnum):
    """How an answer for the person themselves begins."""

    RECEIVES = "receives"  # enrolled (active or suspended): the enrolment, not a re-assessment
    HOUSEHOLD_RECEIVES = "household_receives"  # a household programme another member receives
    PAID_TO_MOTHER = "paid_to_mother"  # asked by someone who is not the mother it is paid to
    ASSESSED = "assessed"  # the rules decide: see ``result.decision``


@dataclass(frozen=True)
class Answer:
    """A programme's answer fitted to the person asking about themselves."""

    programme_code: str
    standing: Standing
    result: EligibilityResult  # the rules on today's facts, whatever the standing
    enrolment: EnrolmentFact | None = None


def answer(facts: CitizenFacts, programme_code: str, book: RuleBook) -> Answer:
    result = check(facts, programme_code, book)
    enrolment = facts.enrolment(programme_code)
    if enrolment is not None:
        return Answer(programme_code, Standing.RECEIVES, result, enrolment)
    info = book.programmes.get(programme_code)
    if info and info.benefit_unit is BenefitUnit.HOUSEHOLD and programme_code in facts.household_programmes:
        return Answer(programme_code, Standing.HOUSEHOLD_RECEIVES, result)
    if info and info.paid_to_mother and facts.gender != "F":
        return Answer(programme_code, Standing.PAID_TO_MOTHER, result)
    return Answer(programme_code, Standing.ASSESSED, result)


def programmes_received(facts: CitizenFacts, book: RuleBook) -> frozenset[str]:
    """What the person receives: their own enrolments, and a household programme (Food
    Friendly, VGF) another member is enrolled in for the family. Another member's personal
    programme (a parent's Old Age Allowance) is not the person's, nor theirs to be told of."""
    household = {
        code
        for code in facts.household_programmes
        if (info := book.programmes.get(code)) is not None and info.benefit_unit is BenefitUnit.HOUSEHOLD
    }
    return frozenset(e.programme_code for e in facts.enrolments) | household


def check_citizen(
    session: Session, citizen: Citizen, programme_code: str | None = None, as_of: dt.date | None = None
) -> list[EligibilityResult]:
    """One programme's result, or every programme's when none is named."""
    # The rules in force on the day of the decision: ``as_of`` when one is given.
    book = rulebook(session, as_of)
    facts = facts_for_citizen(citizen, as_of or dt.date.today())
    codes = [programme_code] if programme_code else list(book.order)
    return [check(facts, code, book) for code in codes]
