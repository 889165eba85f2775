"""Deciding where a complaint goes, from the routing rules in force on a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from foundation import rule_changes
from foundation.cache import cached
from grievance.models import Category, Grievance, OfficeLevel, RoutingRule
from registry.models import Programme


@dataclass(frozen=True)
class Route:
    ministry_code: str
    office_level: OfficeLevel
    also_ministry_code: str | None
    cluster_code: str | None
    reason: str


class NoRoute(LookupError):
    pass


ROUTES_KIND = "routing"  # foundation.rule_changes kind


def rules_in_force(session: Session, day: dt.date) -> list[RoutingRule]:
    """The rules in force on ``day`` (cached per process; detached rows, read-only).

    A complaint is routed by the rules of the day it is routed on, so an imported rule from
    tomorrow routes tomorrow's complaints. The cache is keyed by the newest routing change
    (one indexed query per look-up: routing runs in jobs, not on every hop), so a change
    imported through any process is used by every process from its commit on.
    """
    version = rule_changes.version(session, ROUTES_KIND)
    return cached(("routing_rules", version, day), lambda: _load_rules(session, day))


def _load_rules(session: Session, day: dt.date) -> list[RoutingRule]:
    rules = list(
        session.scalars(
            select(RoutingRule)
            .where(RoutingRule.effective_from <= day)
            .where(or_(RoutingRule.effective_to.is_(None), RoutingRule.effective_to >= day))
            .order_by(RoutingRule.programme_code, RoutingRule.category, RoutingRule.id)
        )
    )
    for rule in rules:
        session.expunge(rule)  # shared across sessions through the cache
    return rules


def resolve(session: Session, programme_code: str | None, category: Category, has_place: bool, day: dt.date) -> Route:
    rules = rules_in_force(session, day)
    bases = {r.programme_code: r for r in rules if r.category is None and r.ministry_code}
    # A programme without a rule of its own falls back to the rule for "no programme".
    base = bases.get(programme_code) or bases.get(None)
    if base is None:
        raise NoRoute(f"no routing rule in force for programme {programme_code!r} on {day}")
    ministry, level = base.ministry_code, base.office_level or OfficeLevel.UPAZILA
    also, reasons = None, [base.note or "base rule"]
    # Category rules for this programme win over category rules for any programme.
    overrides = sorted(
        (r for r in rules if r.category is category and r.programme_code in (None, programme_code)),
        key=lambda r: r.programme_code is not None,
    )
    for rule in overrides:
        ministry = rule.ministry_code or ministry
        level = rule.office_level or level
        also = rule.also_ministry_code or also
        reasons.append(rule.note or f"{category.value} rule")
    if category.sensitive:
        # The rules file says so too; this holds if a rule is closed or mistyped. Only the
        # lead ministry's redress officer: no local office, no second ministry.
        if level is not OfficeLevel.MINISTRY_GRO:
            level = OfficeLevel.MINISTRY_GRO
            reasons.append("sensitive: never to the local office that may be accused")
        also = None
    if not has_place and level is not OfficeLevel.MINISTRY_GRO:
        # Without a district or upazila (an unregistered caller) no local office can take it.
        level = OfficeLevel.MINISTRY_GRO
        reasons.append("no place known: the ministry's grievance redress officer")
    cluster = _clusters(session).get(programme_code) if programme_code else None
    return Route(ministry, level, also if also != ministry else None, cluster, "; ".join(reasons))


def _clusters(session: Session) -> dict[str, str]:
    """Each programme's cluster: reference data, cached like the rules."""
    return cached(
        "programme_clusters", lambda: dict(session.execute(select(Programme.code, Programme.cluster_code)).all())
    )


def route_for(session: Session, grievance: Grievance, day: dt.date) -> Route:
    return resolve(session, grievance.programme_code, grievance.category, grievance.upazila_id is not None, day)
