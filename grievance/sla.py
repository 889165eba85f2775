"""SLA clocks in working days: Friday and Saturday are the weekend, public holidays come
from grievance/calendar.py (the `holidays` package, the gazette file, recorded changes).

GRS defaults: 30 working days for the responsible officer (tier 1), 30 for the grievance
redress officer (tier 2), 20 at appeal (tier 3); configurable per deployment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from flask import current_app
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from grievance import calendar

WEEKEND = (4, 5)  # Friday, Saturday (Monday is 0)
DHAKA = dt.timezone(dt.timedelta(hours=6))  # no daylight saving
# Years around today the clock knows: a deadline set now ends within months, and resolution
# times are counted for complaints filed in the last two years.
YEARS_BEFORE, YEARS_AFTER = 2, 2


def clock_years(today: dt.date) -> range:
    return range(today.year - YEARS_BEFORE, today.year + YEARS_AFTER + 1)


def holidays(session: Session) -> frozenset[dt.date]:
    """Every holiday of the years around today (Dhaka), as the SLA clock counts them."""
    return calendar.off_days(session, clock_years(utcnow().astimezone(DHAKA).date()))


def is_working_day(day: dt.date, off: Collection[dt.date]) -> bool:
    return day.weekday() not in WEEKEND and day not in off


def add_working_days(start: dt.datetime, days: int, off: Collection[dt.date]) -> dt.datetime:
    """The end (23:59:59 Dhaka time) of the ``days``-th working day after ``start``'s day,
    in UTC: every timestamp is stored in UTC (SQLite keeps no time zone)."""
    day = start.astimezone(DHAKA).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, off):
            counted += 1
    return dt.datetime.combine(day, dt.time(23, 59, 59), DHAKA).astimezone(dt.UTC)


def working_days_between(start: dt.date, end: dt.date, off: Collection[dt.date]) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=n), off))


def resolution_days(session: Session, filed: dt.datetime, resolved: dt.datetime) -> int:
    """Working days from filing to resolution, by the Dhaka calendar."""
    from foundation.clock import as_utc

    start, end = (as_utc(moment).astimezone(DHAKA).date() for moment in (filed, resolved))
    return working_days_between(start, end, holidays(session))


def tier_limit(tier: int) -> int:
    limits = current_app.config["SAHAYATA_SLA_WORKING_DAYS"]
    return limits[min(tier, len(limits)) - 1]
