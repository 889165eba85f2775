"""The warning that next year's lunar holidays are still the package's estimates.

Eid and the other lunar holidays depend on the moon; the package estimates them, and the
government lists next year's dates in November or December. From 1 December, a next year
with none of its lunar dates confirmed (by the gazette file or a recorded change) means the
SLA clock would count January's deadlines on guesses: the scheduler logs it daily and the
staff dashboard shows it until someone records the notification.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from grievance.calendar import year_calendar
from grievance.sla import DHAKA
from sahayata.clock import utcnow
from sahayata.db import transaction
from sahayata.jobs import with_app_context

log = logging.getLogger(__name__)

WARN_FROM = (12, 1)  # month, day


def unconfirmed_lunar_year(session: Session, today: dt.date) -> int | None:
    """Next year, if it is 1 December or later and none of next year's lunar dates is confirmed."""
    if (today.month, today.day) < WARN_FROM:
        return None
    lunar = [holiday for holiday in year_calendar(session, today.year + 1) if holiday.lunar]
    if lunar and not any(holiday.confirmed for holiday in lunar):
        return today.year + 1
    return None


@with_app_context
def warn_unconfirmed_lunar_year() -> int | None:
    with transaction() as session:
        year = unconfirmed_lunar_year(session, utcnow().astimezone(DHAKA).date())
    if year is not None:
        log.warning(
            "the SLA calendar has no confirmed lunar holiday for %s: deadlines count the holidays "
            "package's estimated dates; record the government's list with "
            "`flask --app wsgi grievance holidays confirm|add|remove`",
            year,
        )
    return year
