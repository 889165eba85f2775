"""Background jobs of the registry (run by RQ workers, or inline in embedded mode)."""

from __future__ import annotations

import datetime as dt

from foundation.db import transaction
from foundation.jobs import with_app_context
from registry.households import households_with_new_elders, rescore_households


@with_app_context
def rescore_households_job(household_ids: list[int], as_of: str | None = None) -> int:
    """Recompute vulnerability scores; idempotent (an unchanged score is not rewritten)."""
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    with transaction() as session:
        return rescore_households(session, household_ids, as_of=day)


@with_app_context
def rescore_new_elders_job(as_of: str | None = None) -> int:
    """Daily: households where a member has just reached the elderly age (scheduler)."""
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    with transaction() as session:
        return rescore_households(session, households_with_new_elders(session, day), as_of=day)
