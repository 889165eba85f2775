"""Routing on an upgrade: a programme new in the seed is routed to its lead ministry, and
routing that imports decided is never reverted."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import shutil

import pytest
from sqlalchemy import delete, select

from foundation import rule_changes
from foundation.rule_changes import RuleChange
from grievance import reference_data
from grievance.models import Category, RoutingRule
from grievance.reference_data import sync_grievance_reference_data
from grievance.routing import ROUTES_KIND, resolve
from registry.reference_data import sync_reference_data
from tests.registry.conftest import seed_with_a_new_programme  # noqa: F401 (a fixture)

DAY = dt.date(2026, 11, 1)


@pytest.fixture
def routing_seed_with_the_new_programme(session, seed_with_a_new_programme, tmp_path, monkeypatch):  # noqa: F811
    """The grievance seed of the same release: NEWP's complaints go to its lead ministry."""
    new = seed_with_a_new_programme
    seed = tmp_path / "grievance-seed"
    shutil.copytree(reference_data.SEED_DIR, seed)
    with open(seed / "routing_rules.csv", "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([new, "", "MOWCA", "upazila", "", "2000-01-01", "", "lead ministry"])
    monkeypatch.setattr(reference_data, "SEED_DIR", seed)
    sync_reference_data(session)  # the registry's part of the upgrade: NEWP's programme row
    session.execute(delete(RoutingRule).where(RoutingRule.programme_code == new))
    session.execute(delete(RuleChange))
    session.commit()
    return new


def test_a_programme_new_in_the_seed_is_routed_to_its_lead_ministry(
    session, routing_seed_with_the_new_programme, caplog
):
    new = routing_seed_with_the_new_programme
    # Without its rule a complaint about it would go to the general rule's ministry.
    assert resolve(session, new, Category.AMOUNT_SHORT, True, DAY).ministry_code == "MOSW"
    before = session.scalar(select(RoutingRule.id).where(RoutingRule.programme_code == "OAA"))
    with caplog.at_level(logging.WARNING, logger="grievance.reference_data"):
        sync_grievance_reference_data(session)
    session.commit()
    assert resolve(session, new, Category.AMOUNT_SHORT, True, DAY).ministry_code == "MOWCA"
    assert session.scalar(select(RoutingRule.id).where(RoutingRule.programme_code == "OAA")) == before
    [change] = session.scalars(select(RuleChange).where(RuleChange.kind == ROUTES_KIND))
    assert (change.changed_by, change.added, change.removed) == ("db upgrade", 1, 0)
    assert f"seed routing for {new}, which had none" in caplog.text
    sync_grievance_reference_data(session)  # loaded once
    session.commit()
    assert session.scalars(select(RuleChange)).all() == [change]


def test_a_programme_whose_rules_an_import_removed_is_not_given_the_seeds_back(
    session, routing_seed_with_the_new_programme
):
    new = routing_seed_with_the_new_programme
    removed = rule_changes.difference(
        {
            (new, "", "2000-01-01"): {
                "programme": new,
                "category": "",
                "ministry": "MOWCA",
                "effective_from": "2000-01-01",
            }
        },
        {},
    )
    rule_changes.record(session, ROUTES_KIND, "alice", "to the general desk", "routes.csv", removed)
    session.commit()
    sync_grievance_reference_data(session)
    session.commit()
    assert session.scalars(select(RoutingRule).where(RoutingRule.programme_code == new)).all() == []
    assert resolve(session, new, Category.AMOUNT_SHORT, True, DAY).ministry_code == "MOSW"
