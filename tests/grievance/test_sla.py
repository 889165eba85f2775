import datetime as dt

from grievance.sla import DHAKA, add_working_days, is_working_day, working_days_between

THURSDAY = dt.date(2026, 12, 10)


def test_friday_and_saturday_are_the_weekend():
    assert is_working_day(THURSDAY, set())
    assert not is_working_day(THURSDAY + dt.timedelta(days=1), set())
    assert not is_working_day(THURSDAY + dt.timedelta(days=2), set())
    assert is_working_day(THURSDAY + dt.timedelta(days=3), set())  # Sunday


def test_deadline_skips_weekends_and_holidays():
    start = dt.datetime(2026, 12, 10, 9, 0, tzinfo=DHAKA)  # a Thursday
    # Sun 13, Mon 14, Tue 15, (Wed 16 Victory Day), Thu 17 -> 4 working days end on the 17th
    deadline = add_working_days(start, 4, {dt.date(2026, 12, 16)})
    assert deadline.astimezone(DHAKA) == dt.datetime(2026, 12, 17, 23, 59, 59, tzinfo=DHAKA)
    assert deadline.tzinfo is dt.UTC


def test_thirty_working_days_are_six_weeks_without_holidays():
    start = dt.datetime(2026, 11, 1, 10, 0, tzinfo=DHAKA)  # a Sunday
    assert add_working_days(start, 30, set()).astimezone(DHAKA).date() == dt.date(2026, 12, 13)
    assert working_days_between(dt.date(2026, 11, 1), dt.date(2026, 12, 13), set()) == 30


def test_the_clock_knows_the_years_a_deadline_can_reach(session):
    from grievance.sla import holidays

    off = holidays(session)
    assert dt.date(2026, 3, 22) in off  # Eid-ul-Fitr 2026
    assert dt.date(2028, 2, 28) in off  # Eid-ul-Fitr 2028 (estimated): deadlines set late in 2027 reach it
    assert dt.date(2026, 10, 21) in off  # Bijoya Dashami, from the gazette file
