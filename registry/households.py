"""Household vulnerability scores, recomputed from the household and its members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bulk import bulk_update, in_values
from registry.models import Citizen, Household
from registry.vulnerability import MemberFacts, score_household

CHUNK = 10_000


def rescore_households(session: Session, household_ids: Iterable[int], as_of: dt.date) -> int:
    """Recompute and store the score of these households; returns how many changed."""
    ids = sorted(set(household_ids))
    changed = 0
    table = Household.__table__
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        members: dict[int, list[MemberFacts]] = {}
        member_rows = session.execute(
            select(
                Citizen.household_id, Citizen.date_of_birth, Citizen.gender, Citizen.disability, Citizen.marital_status
            ).where(in_values(session, Citizen.household_id, chunk))
        )
        for household_id, dob, gender, disability, marital in member_rows:
            members.setdefault(household_id, []).append(MemberFacts(dob, gender.value, disability, marital.value))
        updates = []
        households = session.execute(
            select(
                Household.id,
                Household.size,
                Household.monthly_income_bdt,
                Household.land_decimal,
                Household.vulnerability_score,
                Household.vulnerability_breakdown,
            ).where(in_values(session, Household.id, chunk))
        )
        for household_id, size, income, land, old_score, old_breakdown in households:
            score, breakdown = score_household(size, income, land, members.get(household_id, []), as_of)
            if score != old_score or breakdown != old_breakdown:
                updates.append({"id": household_id, "vulnerability_score": score, "vulnerability_breakdown": breakdown})
        bulk_update(session, table, updates, key="id")
        changed += len(updates)
    return changed
