"""Explainable eligibility: programme rules as data, decisions with every criterion's outcome."""

from registry.eligibility.engine import (
    CitizenFacts,
    CriterionResult,
    Decision,
    EligibilityResult,
    Outcome,
    RuleBook,
    check,
    check_citizen,
    facts_for_citizen,
    rulebook,
)

__all__ = [
    "CitizenFacts",
    "CriterionResult",
    "Decision",
    "EligibilityResult",
    "Outcome",
    "RuleBook",
    "check",
    "check_citizen",
    "facts_for_citizen",
    "rulebook",
]
