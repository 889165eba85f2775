"""Recording a calendar change moves the deadlines of the open complaints it falls inside."""

import datetime as dt

import pytest
from sqlalchemy import select

from grievance import calendar, sla
from grievance.calendar import Correction, Source
from grievance.holiday_changes import ChangeRefused, record_change
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import GrievanceEvent, HolidayAction, HolidayChange, Status
from tests.factories import make_citizen, make_filing

EID_2027 = dt.date(2027, 3, 10)  # the package's estimate: Wed 10 - Fri 12 March


pytestmark = pytest.mark.usefixtures("no_recorded_changes")


@pytest.fixture
def complaint_on_the_clock(session, no_dispatch):
    """make(started, status=...): a routed complaint whose tier-1 clock started on ``started``."""

    made = []

    def make(started: dt.date, status: Status = Status.ROUTED):
        phone = f"+88017123456{len(made):02d}"  # another complainant each: not a repeat filing
        citizen = make_citizen(session, mobile=phone)
        session.commit()
        grievance = file_grievance(session, make_filing(citizen_id=citizen.id, phone=phone)).grievance
        made.append(grievance)
        route_grievance(grievance.id)
        session.refresh(grievance)
        grievance.sla_started_at = dt.datetime.combine(started, dt.time(11), sla.DHAKA).astimezone(dt.UTC)
        grievance.due_at = sla.add_working_days(grievance.sla_started_at, sla.tier_limit(1), sla.holidays(session))
        grievance.status = status
        session.commit()
        return grievance

    return make


def _dhaka(grievance) -> dt.date:
    from foundation.clock import as_utc

    return as_utc(grievance.due_at).astimezone(sla.DHAKA).date()


def calendar_events(session, grievance):
    return session.scalars(
        select(GrievanceEvent.note)
        .where(GrievanceEvent.grievance_id == grievance.id, GrievanceEvent.note.like("deadline moved%"))
        .order_by(GrievanceEvent.id)  # PostgreSQL returns rows in no promised order
    ).all()


def test_eid_moved_a_day_later_shifts_the_deadlines_it_falls_inside(session, complaint_on_the_clock):
    inside = complaint_on_the_clock(dt.date(2027, 3, 1))
    after = complaint_on_the_clock(dt.date(2027, 3, 20))  # its clock starts after the Eid
    closed = complaint_on_the_clock(dt.date(2027, 3, 1), Status.CLOSED)
    before_move = {each.id: _dhaka(each) for each in (inside, after, closed)}
    assert before_move[inside.id] == dt.date(2027, 4, 18)

    # The moon is sighted a day late: Eid-ul-Fitr is Thu 11 - Sat 13 March.
    removed = record_change(session, EID_2027, HolidayAction.REMOVE, "gazette-clerk")
    added = record_change(session, dt.date(2027, 3, 13), HolidayAction.ADD, "gazette-clerk", "Eid-ul-Fitr", "ঈদুল ফিতর")
    session.commit()

    # Wed 10 March is a working day again: the deadline comes one working day earlier (Sun 18
    # April, after Pohela Boishakh on Wed 14, becomes Thu 15).
    assert _dhaka(inside) == dt.date(2027, 4, 15)
    assert [(m.tracking_number, m.before, m.after) for m in removed.moved] == [
        (inside.tracking_number, dt.date(2027, 4, 18), dt.date(2027, 4, 15))
    ]
    assert added.moved == []  # Saturday 13 March was a day off already
    assert _dhaka(after) == before_move[after.id] and _dhaka(closed) == before_move[closed.id]
    assert calendar_events(session, inside) == [
        "deadline moved from 2027-04-18 to 2027-04-15: holiday remove on 2027-03-10 by gazette-clerk"
    ]
    event = session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == inside.id).order_by(GrievanceEvent.id.desc())
    ).first()
    assert event.actor == "gazette-clerk" and event.from_status is event.to_status is Status.ROUTED
    assert calendar_events(session, after) == [] and calendar_events(session, closed) == []


def test_an_added_holiday_puts_the_deadline_back(session, complaint_on_the_clock):
    grievance = complaint_on_the_clock(dt.date(2027, 6, 1))
    before = _dhaka(grievance)
    recorded = record_change(session, dt.date(2027, 6, 2), HolidayAction.ADD, "clerk", "Holiday by executive order")
    session.commit()
    assert (
        _dhaka(grievance)
        == sla.add_working_days(dt.datetime.combine(before, dt.time(12), sla.DHAKA), 1, sla.holidays(session))
        .astimezone(sla.DHAKA)
        .date()
    )
    assert len(recorded.moved) == 1 and len(calendar_events(session, grievance)) == 1


def test_confirming_an_estimated_eid_moves_nothing_and_marks_it_confirmed(session, complaint_on_the_clock):
    grievance = complaint_on_the_clock(dt.date(2027, 3, 1))
    before = _dhaka(grievance)
    recorded = record_change(session, EID_2027, HolidayAction.CONFIRM, "clerk")
    session.commit()
    assert recorded.moved == [] and _dhaka(grievance) == before
    eid = {h.day: h for h in calendar.year_calendar(session, 2027)}[EID_2027]
    assert eid.source is Source.RECORDED and eid.confirmed and eid.name_en == "Eid-ul-Fitr"
    assert eid.note.startswith("confirm by clerk on ")


@pytest.mark.parametrize(
    ("day", "action", "name", "message"),
    [
        (EID_2027, HolidayAction.ADD, "Eid", "already a holiday (Eid-ul-Fitr); use confirm"),
        (dt.date(2027, 6, 1), HolidayAction.CONFIRM, None, "not a holiday in the calendar; use add"),
        (dt.date(2027, 6, 1), HolidayAction.REMOVE, None, "not a holiday in the calendar; use add"),
        (dt.date(2027, 6, 1), HolidayAction.ADD, None, "needs --name"),
    ],
)
def test_a_change_that_makes_no_sense_is_refused(session, day, action, name, message):
    with pytest.raises(ChangeRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        record_change(session, day, action, "clerk", name)
    assert session.scalars(select(HolidayChange)).all() == []


def test_a_gazette_move_takes_the_day_with_its_names_and_confirms_it():
    days = calendar.build([2027], [Correction(EID_2027, "move", to_day=dt.date(2027, 3, 13), note="gazette 2027")])
    assert EID_2027 not in days
    moved = days[dt.date(2027, 3, 13)]
    assert moved.name_en == "Eid-ul-Fitr" and moved.source is Source.GAZETTE and moved.lunar and moved.confirmed


def test_a_complaint_from_before_the_clock_start_was_kept_counts_from_its_routing(session, complaint_on_the_clock):
    grievance = complaint_on_the_clock(dt.date(2027, 3, 1))
    grievance.routed_at, grievance.sla_started_at = grievance.sla_started_at, None
    session.commit()
    record_change(session, EID_2027, HolidayAction.REMOVE, "clerk")
    session.commit()
    assert _dhaka(grievance) == dt.date(2027, 4, 15)


def test_a_change_rolled_back_leaves_nothing_in_the_shared_calendar_cache(session):
    # SQLite gives a rolled-back row's id to the next row: a calendar cached under the
    # first would be served for the second.
    first, second = dt.date(2026, 12, 9), dt.date(2026, 12, 10)
    record_change(session, first, HolidayAction.ADD, "clerk", "Never committed")
    session.rollback()
    record_change(session, second, HolidayAction.ADD, "clerk", "Committed")
    session.commit()
    days = calendar.calendar(session, [2026])
    assert second in days and first not in days
    assert second in sla.holidays(session) and first not in sla.holidays(session)


@pytest.fixture
def gazette_adds(monkeypatch):
    """gazette_adds(day, name): the gazette file as deployed, with one more added holiday."""
    shipped = calendar.gazette()

    def add(day: dt.date, name: str) -> None:
        row = Correction(day, "add", name, name, note="next gazette")
        monkeypatch.setattr(calendar, "gazette", lambda: (*shipped, row))

    return add


def test_recount_moves_the_deadlines_a_new_gazette_file_changes_and_says_so(
    session, complaint_on_the_clock, gazette_adds
):
    from grievance.holiday_changes import recount

    grievance = complaint_on_the_clock(dt.date(2027, 6, 1))
    untouched = complaint_on_the_clock(dt.date(2027, 7, 20))
    before, other = _dhaka(grievance), _dhaka(untouched)
    gazette_adds(dt.date(2027, 6, 2), "Holiday by executive order")
    moved = recount(session)
    session.commit()
    after = _dhaka(grievance)
    assert after > before and _dhaka(untouched) == other
    assert [(m.tracking_number, m.before, m.after) for m in moved] == [(grievance.tracking_number, before, after)]
    assert calendar_events(session, grievance) == [
        f"deadline moved from {before} to {after}: calendar updated (gazette/package)"
    ]
    assert calendar_events(session, untouched) == []
    assert recount(session) == []  # once is enough


def test_a_recorded_change_is_not_blamed_for_an_earlier_gazette_update(session, complaint_on_the_clock, gazette_adds):
    grievance = complaint_on_the_clock(dt.date(2027, 6, 1))
    before = _dhaka(grievance)
    gazette_adds(dt.date(2027, 6, 2), "Holiday by executive order")  # deployed, never recounted
    recorded = record_change(session, dt.date(2027, 6, 3), HolidayAction.ADD, "clerk", "Another one")
    session.commit()
    updated, final = recorded.recounted[0].after, _dhaka(grievance)
    assert [(m.before, m.after) for m in recorded.recounted] == [(before, updated)]
    assert [(m.before, m.after) for m in recorded.moved] == [(updated, final)]
    assert before < updated < final
    assert calendar_events(session, grievance) == [
        f"deadline moved from {before} to {updated}: calendar updated (gazette/package)",
        f"deadline moved from {updated} to {final}: holiday add on 2027-06-03 by clerk",
    ]


@pytest.mark.parametrize(
    ("by", "name", "message"),
    [
        ("clerk", "   ", "needs --name"),
        ("  ", "Holiday", "say who records the change"),
        ("clerk", "x" * 121, "--name is 121 characters long; at most 120"),
        ("c" * 121, "Holiday", "--by is 121 characters long; at most 120"),
    ],
)
def test_a_blank_or_overlong_name_or_recorder_is_refused(session, by, name, message):
    with pytest.raises(ChangeRefused, match=message):
        record_change(session, dt.date(2027, 6, 1), HolidayAction.ADD, by, name)
    assert session.scalars(select(HolidayChange)).all() == []


def test_names_and_recorder_are_kept_without_surrounding_spaces(session):
    change = record_change(session, dt.date(2027, 6, 1), HolidayAction.ADD, " clerk ", "  Holiday ", " ছুটি ").change
    session.commit()
    assert (change.recorded_by, change.name_en, change.name_bn) == ("clerk", "Holiday", "ছুটি")
