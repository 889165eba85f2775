"""From 1 December, next year's lunar holidays must be confirmed, or the scheduler warns."""

import datetime as dt
import logging

import pytest

from grievance import calendar, calendar_watch
from grievance.calendar import Correction
from grievance.calendar_watch import unconfirmed_lunar_year
from grievance.holiday_changes import record_change
from grievance.models import HolidayAction
from sahayata.scheduler import PERIODIC_JOBS

GAZETTE = calendar.gazette()


pytestmark = pytest.mark.usefixtures("no_recorded_changes")


def test_2027_with_only_estimated_lunar_dates_warns_from_1_december(session):
    assert unconfirmed_lunar_year(session, dt.date(2026, 11, 30)) is None
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 1)) == 2027
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 31)) == 2027


def _confirm_every_lunar_date(session, year: int) -> None:
    for holiday in calendar.year_calendar(session, year):
        if holiday.lunar and not holiday.confirmed:
            record_change(session, holiday.day, HolidayAction.CONFIRM, "clerk")
    session.commit()


def test_one_confirmed_eid_is_not_enough_every_lunar_date_must_be(session):
    record_change(session, dt.date(2027, 3, 10), HolidayAction.CONFIRM, "clerk")
    session.commit()
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 1)) == 2027


def test_confirmed_lunar_dates_without_the_gazettes_own_holidays_still_warn(session):
    _confirm_every_lunar_date(session, 2027)
    assert not any(h.lunar and not h.confirmed for h in calendar.year_calendar(session, 2027))
    # Buddha Purnima, Janmashtami, Durga Puja: not in the package, not entered for 2027.
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 1)) == 2027
    record_change(session, dt.date(2027, 10, 10), HolidayAction.ADD, "clerk", "Durga Puja (Bijoya Dashami)")
    session.commit()
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 1)) is None


def test_a_gazette_file_row_for_next_year_counts_as_its_list(session, monkeypatch):
    _confirm_every_lunar_date(session, 2027)
    row = Correction(dt.date(2027, 5, 20), "add", "Buddha Purnima", "বুদ্ধপূর্ণিমা", note="2027 list")
    monkeypatch.setattr(calendar, "gazette", lambda: (*GAZETTE, row))
    assert unconfirmed_lunar_year(session, dt.date(2026, 12, 1)) is None


def test_the_scheduler_runs_the_check_daily_and_it_logs_a_warning(session, monkeypatch, caplog):
    assert ("grievance.calendar_watch.warn_unconfirmed_lunar_year", 86400) in PERIODIC_JOBS
    monkeypatch.setattr(calendar_watch, "utcnow", lambda: dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
    with caplog.at_level(logging.WARNING, logger="grievance.calendar_watch"):
        assert calendar_watch.warn_unconfirmed_lunar_year() == 2027
    assert "the SLA calendar of 2027 is not confirmed" in caplog.text
    caplog.clear()
    monkeypatch.setattr(calendar_watch, "utcnow", lambda: dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC))
    assert calendar_watch.warn_unconfirmed_lunar_year() is None and caplog.text == ""
