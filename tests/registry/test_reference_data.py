"""The seed on an upgrade: a programme new in this release gets its rules; the others keep theirs."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from foundation.rule_changes import RuleChange
from registry.eligibility.engine import forget_cached_rulebook, rulebook
from registry.models import EligibilityRule
from registry.reference_data import seed_rules, sync_reference_data


def _rules_of(session, programme: str) -> dict[str, dict]:
    rules = session.scalars(select(EligibilityRule).where(EligibilityRule.programme_code == programme))
    return {rule.criterion: rule.params for rule in rules}


def test_a_programme_new_in_the_seed_gets_its_rules_and_the_others_keep_theirs(
    session, seed_with_a_new_programme, caplog
):
    new = seed_with_a_new_programme
    # The database as the release before left it: NEWP unknown, its programme row aside,
    # and OAA's ceiling changed by an import.
    sync_reference_data(session)
    oaa = session.scalars(
        select(EligibilityRule).where(
            EligibilityRule.programme_code == "OAA", EligibilityRule.criterion == "household_income_max"
        )
    ).one()
    oaa.params = {"bdt": 11000}
    for rule in session.scalars(select(EligibilityRule).where(EligibilityRule.programme_code == new)):
        session.delete(rule)
    session.execute(delete(RuleChange))
    session.commit()

    with caplog.at_level(logging.WARNING, logger="registry.reference_data"):
        sync_reference_data(session)
    session.commit()
    forget_cached_rulebook()

    expected = {rule.criterion: rule.params for rule in seed_rules() if rule.programme_code == new}
    assert _rules_of(session, new) == expected and expected
    assert _rules_of(session, "OAA")["household_income_max"] == {"bdt": 11000}  # not put back
    assert dict(rulebook(session).rules[new]) == expected
    [change] = session.scalars(select(RuleChange).where(RuleChange.kind == "eligibility"))
    assert (change.changed_by, change.added, change.changed, change.removed) == ("db upgrade", len(expected), 0, 0)
    assert f"seed rules for {new}, which had none" in caplog.text

    sync_reference_data(session)  # once loaded, the seed is not loaded again
    session.commit()
    assert session.scalars(select(RuleChange)).all() == [change]
