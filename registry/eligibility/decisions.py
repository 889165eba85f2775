"""Every programme's decision for one person, and the look-up of another person by NID and
date of birth that every channel (USSD, SMS) makes the same way.

Decisions only: a look-up of someone else may say eligible / not eligible / needs
verification per programme, never the facts behind them (age, income, land, disability).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from redis import Redis
from sqlalchemy.orm import Session

from registry.eligibility.engine import (
    Decision,
    RuleBook,
    check,
    check_for_someone_else,
    facts_for_citizen,
    rulebook,
)
from registry.lookups import count_lookup, over_limit
from registry.models import Citizen
from registry.services import citizen_by_nid_and_date_of_birth


@dataclass(frozen=True)
class ProgrammeDecisions:
    """Programme codes by decision, each group in the programmes' fixed order."""

    eligible: tuple[str, ...]
    needs_verification: tuple[str, ...]
    not_eligible: tuple[str, ...]


def decisions_for(citizen: Citizen, book: RuleBook, as_of: dt.date, *, someone_else: bool) -> ProgrammeDecisions:
    """Every programme's decision; ``someone_else`` for a look-up of another person, whose
    decisions must not tell what they already receive (``check_for_someone_else``)."""
    facts = facts_for_citizen(citizen, as_of)
    decide = check_for_someone_else if someone_else else check
    by_decision: dict[Decision, list[str]] = {decision: [] for decision in Decision}
    for code in book.order:
        by_decision[decide(facts, code, book).decision].append(code)
    return ProgrammeDecisions(
        tuple(by_decision[Decision.ELIGIBLE]),
        tuple(by_decision[Decision.NEEDS_VERIFICATION]),
        tuple(by_decision[Decision.NOT_ELIGIBLE]),
    )


class LookupOutcome(enum.StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"  # no one with this NID and this date of birth: which part is wrong is not said
    LIMIT_REACHED = "limit_reached"


@dataclass(frozen=True)
class Lookup:
    outcome: LookupOutcome
    decisions: ProgrammeDecisions | None = None


def look_up_decisions(
    session: Session, redis: Redis, phone: str, nid: str, date_of_birth: dt.date, today: dt.date
) -> Lookup:
    """What ``phone`` may learn about the person with this NID and date of birth: the
    decisions for someone else, even when it is the caller's own record (the phone is no
    proof of who is asking)."""
    # Counted before the look-up and whatever it finds: a wrong guess costs a look-up too,
    # else the date of birth could be guessed 365 days at a time.
    if over_limit(count_lookup(redis, phone, today)):
        return Lookup(LookupOutcome.LIMIT_REACHED)
    person = citizen_by_nid_and_date_of_birth(session, nid, date_of_birth)
    if person is None:
        return Lookup(LookupOutcome.NOT_FOUND)
    return Lookup(LookupOutcome.FOUND, decisions_for(person, rulebook(session), today, someone_else=True))
