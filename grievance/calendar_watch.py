"""The warning that next year's holidays are not all known yet.

Eid and the other lunar holidays depend on the moon; the package estimates them, and the
government lists next year's dates in November or December, with the Buddhist and Hindu
holidays the package lacks (the gazette file adds those). From 1 December, while any of
next year's lunar dates is still an estimate, or neither the gazette file nor a recorded
change adds a day in next year, the SLA clock would count January's deadlines on guesses:
the scheduler logs it daily and the staff dashboard shows it until someone records the
notification.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from foundation.clock import utcnow
from foundation.db import transaction
from foundation.jobs import with_app_context
from grievance import calendar
from grievance.sla import DHAKA

log = logging.getLogger(__name__)

WARN_FROM = (12, 1)  # month, day


def unconfirmed_lunar_year(session: Session, today: dt.date) -> int | None:
    """Next year, if it is 1 December or later and its calendar still guesses: one of its
    lunar dates is unconfirmed, or nothing from the government's list (the gazette file, a
    recorded addition) is in it yet."""
    if (today.month, today.day) < WARN_FROM:
        return None
    year = today.year + 1
    lunar_unconfirmed = any(
        holiday.lunar and not holiday.confirmed for holiday in calendar.year_calendar(session, year)
    )
    if lunar_unconfirmed or not _gazette_lists(session, year):
        return year
    return None


def _gazette_lists(session: Session, year: int) -> bool:
    """Whether the government's list of ``year`` has been entered: a row of the gazette file
    in that year, or a recorded addition (the package has no Buddhist or Hindu holiday, so
    a list entered by hand adds at least one day)."""
    in_file = any(year in (row.day.year, row.to_day and row.to_day.year) for row in calendar.gazette())
    return in_file or any(
        change.action == "add" and change.day.year == year for change in calendar.recorded_changes(session)
    )


@with_app_context
def warn_unconfirmed_lunar_year() -> int | None:
    with transaction() as session:
        year = unconfirmed_lunar_year(session, utcnow().astimezone(DHAKA).date())
    if year is not None:
        log.warning(
            "the SLA calendar of %s is not confirmed: a lunar holiday is still the holidays "
            "package's estimate, or the gazette's own holidays are missing; record the "
            "government's list in grievance/seed/holiday_gazette.csv or with "
            "`flask --app wsgi grievance holidays confirm|add|remove`",
            year,
        )
    return year
