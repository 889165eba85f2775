"""Household vulnerability scores, recomputed from the household and its members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from foundation.bulk import bulk_update, in_values
from registry.models import Citizen, Household
from registry.vulnerability import score_household_facts
from registry.vulnerability_sql import member_conditions, score_and_breakdown

CHUNK = 10_000


def _any(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """True when any member meets ``condition`` (0/1: SQLite has no bool_or); 0 without members."""
    return func.coalesce(func.max(case((condition, 1), else_=0)), 0)


def _member_facts(as_of: dt.date) -> tuple[ColumnElement[Any], ...]:
    """The three member facts the score needs, aggregated by the database per household."""
    return tuple(_any(condition) for condition in member_conditions(as_of))


def households_with_new_elders(session: Session, as_of: dt.date) -> list[int]:
    """Households with a member who is elderly on ``as_of`` but a score that does not count
    one yet: the only part of a score that changes with the calendar rather than the data.
    Found from the stored breakdown, so a day the daily job missed is caught up the next."""
    _, elderly, _ = member_conditions(as_of)
    counted = Household.vulnerability_breakdown["elderly_member"]["value"].as_boolean()
    return list(
        session.scalars(
            select(Citizen.household_id)
            .join(Household, Household.id == Citizen.household_id)
            .where(elderly, counted.is_not(True))
            .distinct()
        )
    )


def rescore_all_households(session: Session, as_of: dt.date) -> int:
    """Every household (after the thresholds themselves changed); returns how many changed.
    Pages through the ids, so a national registry's ids are never all in memory at once."""
    changed, after = 0, 0
    while ids := list(
        session.scalars(select(Household.id).where(Household.id > after).order_by(Household.id).limit(CHUNK))
    ):
        changed += rescore_households(session, ids, as_of)
        after = ids[-1]
    return changed


def rescore_households(session: Session, household_ids: Iterable[int], as_of: dt.date) -> int:
    """Recompute and store the score of these households; returns how many changed."""
    ids = sorted(set(household_ids))
    if session.get_bind().dialect.name == "postgresql":
        return _rescore_in_database(session, ids, as_of)
    return _rescore_in_python(session, ids, as_of)


def _rescore_in_database(session: Session, ids: list[int], as_of: dt.date) -> int:
    """PostgreSQL scores the households in the UPDATE itself; unchanged rows are not rewritten."""
    score, breakdown = score_and_breakdown(as_of)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        scored = (
            select(Household.id, score.label("score"), breakdown.label("breakdown"))
            .outerjoin(Citizen, Citizen.household_id == Household.id)
            .where(in_values(session, Household.id, ids[start : start + CHUNK]))
            .group_by(Household.id)
            .subquery()
        )
        result = session.execute(
            update(Household)
            .where(Household.id == scored.c.id)
            .where(
                (Household.vulnerability_score != scored.c.score)
                | (cast(Household.vulnerability_breakdown, JSONB) != scored.c.breakdown)
            )
            .values(vulnerability_score=scored.c.score, vulnerability_breakdown=scored.c.breakdown),
            execution_options={"synchronize_session": False},
        )
        changed += result.rowcount
    return changed


def _rescore_in_python(session: Session, ids: list[int], as_of: dt.date) -> int:
    """SQLite (embedded, small): the database aggregates the members, Python scores."""
    changed = 0
    facts = _member_facts(as_of)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        households = session.execute(
            select(
                Household.id,
                Household.size,
                Household.monthly_income_bdt,
                Household.land_decimal,
                Household.vulnerability_score,
                Household.vulnerability_breakdown,
                *facts,
            )
            .outerjoin(Citizen, Citizen.household_id == Household.id)
            .where(in_values(session, Household.id, chunk))
            .group_by(Household.id)
        )
        updates = []
        for household_id, size, income, land, old_score, old_breakdown, disabled, elderly, alone in households:
            score, breakdown = score_household_facts(
                size, income, land, has_disabled=bool(disabled), has_elderly=bool(elderly), woman_alone=bool(alone)
            )
            if score != old_score or breakdown != old_breakdown:
                updates.append({"id": household_id, "vulnerability_score": score, "vulnerability_breakdown": breakdown})
        bulk_update(session, Household.__table__, updates, key="id")
        changed += len(updates)
    return changed
