"""The SLA calendar against the pinned `holidays` package and the gazette file, read here
independently of grievance/calendar.py."""

import csv
import datetime as dt
from pathlib import Path

import holidays as holiday_calendars
import pytest

from grievance import calendar, sla
from grievance.calendar import GazetteError, Source
from grievance.models import HolidayAction

GAZETTE = Path(__file__).resolve().parents[2] / "grievance" / "seed" / "holiday_gazette.csv"
FRIDAY, SATURDAY = 4, 5


pytestmark = pytest.mark.usefixtures("no_recorded_changes")


def independent_off_days(years) -> set[dt.date]:
    """The package's days, then the gazette's rows, as the SOURCE note describes them."""
    off = set(holiday_calendars.country_holidays("BD", years=list(years)))
    with open(GAZETTE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            day = dt.date.fromisoformat(row["day"])
            if row["action"] in ("add", "confirm"):
                off.add(day)
            elif row["action"] == "remove":
                off.discard(day)
            elif row["action"] == "move":
                off.discard(day)
                off.add(dt.date.fromisoformat(row["to_day"]))
    return off


def independent_deadline(filed: dt.date, working_days: int, off: set[dt.date]) -> dt.date:
    day, counted = filed, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        if day.weekday() not in (FRIDAY, SATURDAY) and day not in off:
            counted += 1
    return day


def app_deadline(session, filed: dt.date, working_days: int) -> dt.date:
    start = dt.datetime.combine(filed, dt.time(10), sla.DHAKA)
    return sla.add_working_days(start, working_days, sla.holidays(session)).astimezone(sla.DHAKA).date()


def every_day(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def test_every_filing_date_of_2026_and_2027_gets_the_deadline_of_the_package_plus_the_gazette(session):
    off = independent_off_days(range(2026, 2029))
    limit = sla.tier_limit(1)
    filing_dates = [*every_day(2026), *every_day(2027)]
    wrong = [day for day in filing_dates if app_deadline(session, day, limit) != independent_deadline(day, limit, off)]
    assert len(filing_dates) == 730 and wrong == []


@pytest.mark.parametrize(
    ("filed", "working_days", "due"),
    [
        # Eid-ul-Fitr 2026, Sat 21 - Mon 23 Mar, then Independence Day on Thu 26 Mar.
        (dt.date(2026, 3, 19), 4, dt.date(2026, 3, 30)),
        # Eid-ul-Adha 2026, Thu 28 - Sat 30 May.
        (dt.date(2026, 5, 27), 2, dt.date(2026, 6, 1)),
        # Eid-ul-Fitr 2027 (estimated), Wed 10 - Fri 12 Mar.
        (dt.date(2027, 3, 9), 2, dt.date(2027, 3, 15)),
        # Eid-ul-Adha 2027 (estimated), Mon 17 - Wed 19 May.
        (dt.date(2027, 5, 16), 2, dt.date(2027, 5, 23)),
    ],
)
def test_deadlines_step_over_both_eids_of_2026_and_2027(session, filed, working_days, due):
    assert app_deadline(session, filed, working_days) == due


def test_a_deadline_runs_across_the_year_end_into_2028(session):
    # From Wed 15 Dec 2027: Victory Day (Thu 16 Dec) and Shab-e-Barat 2028 (Thu 13 Jan,
    # estimated) are off, Christmas falls on a Saturday. 30 working days end on Sun 30 Jan.
    assert app_deadline(session, dt.date(2027, 12, 15), 30) == dt.date(2028, 1, 30)
    without_holidays = independent_deadline(dt.date(2027, 12, 15), 30, set())
    assert without_holidays == dt.date(2028, 1, 26)


def test_each_day_says_where_it_comes_from(session):
    days = {holiday.day: holiday for holiday in calendar.year_calendar(session, 2027)}
    assert days[dt.date(2027, 3, 10)].source is Source.ESTIMATED and days[dt.date(2027, 3, 10)].lunar
    assert days[dt.date(2027, 3, 10)].name_en == "Eid-ul-Fitr" and days[dt.date(2027, 3, 10)].name_bn == "ঈদুল ফিতর"
    assert days[dt.date(2027, 12, 16)].source is Source.PACKAGE
    gazette_2026 = {holiday.day: holiday for holiday in calendar.year_calendar(session, 2026)}
    bijoya = gazette_2026[dt.date(2026, 10, 21)]
    assert bijoya.source is Source.GAZETTE and "holiday list" in bijoya.note
    # The package's name for 17 March 2026, not the birthday holiday that ended in 2024.
    assert gazette_2026[dt.date(2026, 3, 17)].name_en == "Shab-e-Qadr"
    # A gazette holiday on a day that already has one keeps both names.
    assert gazette_2026[dt.date(2026, 5, 1)].name_en == "May Day; Buddha Purnima (Boishakhi Purnima)"


def test_a_second_app_sees_a_recorded_change_at_once(session, app, make_production_app):
    other = make_production_app()
    day = dt.date(2027, 6, 1)  # a Tuesday, no holiday
    with other.app_context():
        from foundation.db import db_session

        assert day not in sla.holidays(db_session())  # cached there now
        db_session().rollback()
    calendar.record(session, day, HolidayAction.ADD, "test", "Extra holiday", "অতিরিক্ত ছুটি")
    session.commit()
    with other.app_context():
        assert day in sla.holidays(db_session())
        db_session().rollback()


def test_a_malformed_gazette_row_is_refused(tmp_path):
    bad = tmp_path / "gazette.csv"
    bad.write_text("day,action,to_day,name_en,name_bn,source\n2027-03-10,move,,,,somewhere\n", encoding="utf-8")
    with pytest.raises(GazetteError, match="line 2: to_day"):
        calendar.gazette(bad)
    bad.write_text("day,action,to_day,name_en,name_bn,source\n2027-03-10,add,,Eid,ঈদ,\n", encoding="utf-8")
    with pytest.raises(GazetteError, match="source"):
        calendar.gazette(bad)
