"""`flask --app wsgi grievance show|routes|act|sweep|escalate|holidays`."""

import pytest

from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from tests.factories import make_citizen, make_filing


def _routed(session):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    return grievance


def test_show_prints_the_complaint_and_its_trail_without_full_nid(cli, session, no_dispatch):
    grievance = _routed(session)
    result = cli.invoke(args=["grievance", "show", grievance.tracking_number])
    assert result.exit_code == 0, result.output
    assert f"complaint {grievance.tracking_number}  routed  tier 1" in result.output
    assert "routed to MOSW (upazila), also FD" in result.output
    assert "- -> received  by citizen" in result.output and "received -> routed  by router" in result.output
    from registry.models import Citizen

    nid = session.get(Citizen, grievance.citizen_id).nid
    assert nid not in result.output and nid[-3:] in result.output


def test_show_refuses_a_mistyped_number(cli, session, no_dispatch):
    grievance = _routed(session)
    wrong = grievance.tracking_number[:-1] + str((int(grievance.tracking_number[-1]) + 1) % 10)
    result = cli.invoke(args=["grievance", "show", wrong])
    assert result.exit_code != 0 and "check digit" in result.output


def test_routes_lists_the_rules_in_force(cli, session):
    result = cli.invoke(args=["grievance", "routes", "--on", "2026-11-27"])
    assert result.exit_code == 0
    assert "programme OAA" in result.output and "ministry MOSW, office upazila" in result.output
    assert "category payment_not_received" in result.output and "also FD" in result.output


def test_act_moves_the_complaint_through_the_same_service(cli, session, no_dispatch):
    grievance = _routed(session)
    number = grievance.tracking_number
    assert cli.invoke(args=["grievance", "act", number, "acknowledge", "--by", "o@mosw"]).exit_code == 0
    refused = cli.invoke(args=["grievance", "act", number, "resolve", "--by", "o@mosw"])
    assert refused.exit_code != 0 and "needs a note" in refused.output
    moved = cli.invoke(
        args=["grievance", "act", number, "transfer", "--by", "o@mosw", "--to", "MOFOOD", "--note", "dealer issue"]
    )
    assert moved.exit_code == 0 and "is now routed" in moved.output
    session.refresh(grievance)
    assert grievance.ministry_code == "MOFOOD"
    done = cli.invoke(args=["grievance", "act", number, "resolve", "--by", "o@mofood", "--note", "rice given"])
    assert done.exit_code == 0 and "is now resolved" in done.output
    wrong = cli.invoke(args=["grievance", "act", number, "acknowledge", "--by", "o@mofood"])
    assert wrong.exit_code != 0 and "cannot become acknowledged" in wrong.output


@pytest.fixture
def no_recorded_holidays(app):
    yield
    with app.app_context():
        from sqlalchemy import delete

        from foundation.db import db_session
        from grievance.models import HolidayChange

        db_session().rollback()
        db_session().execute(delete(HolidayChange))
        db_session().commit()


def test_holidays_lists_the_year_with_each_days_source(cli, session, no_recorded_holidays):
    result = cli.invoke(args=["grievance", "holidays", "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert "2027-03-10 Wed  Eid-ul-Fitr / ঈদুল ফিতর  [estimated]" in result.output
    assert "2027-12-16 Thu  Victory Day / বিজয় দিবস  [package]" in result.output
    assert result.output.rstrip().endswith("still estimated")
    listing_2026 = cli.invoke(args=["grievance", "holidays", "--year", "2026"]).output
    assert "2026-10-21 Wed  Durga Puja (Bijoya Dashami) / দুর্গাপূজা (বিজয়া দশমী)  [gazette: " in listing_2026
    assert "Father of the Nation" not in listing_2026 and "2026-03-17 Tue  Shab-e-Qadr" in listing_2026


def test_holidays_confirm_records_who_and_shows_it(cli, session, no_recorded_holidays):
    result = cli.invoke(args=["grievance", "holidays", "confirm", "2027-03-10", "--by", "GRS cell"])
    assert result.exit_code == 0, result.output
    assert "recorded: confirm 2027-03-10 by GRS cell" in result.output
    listed = cli.invoke(args=["grievance", "holidays", "--year", "2027"]).output
    assert "2027-03-10 Wed  Eid-ul-Fitr / ঈদুল ফিতর  [recorded: confirm by GRS cell on " in listed
    added = cli.invoke(args=["grievance", "holidays", "add", "2027-06-02", "--name", "Extra", "--by", "alice"])
    assert added.exit_code == 0 and "by alice" in added.output and "deadline(s) moved" in added.output


def test_holidays_remove_moves_an_open_complaints_deadline(cli, session, no_dispatch, no_recorded_holidays):
    import datetime as dt

    from foundation.clock import as_utc
    from grievance import sla

    grievance = _routed(session)
    grievance.sla_started_at = dt.datetime(2027, 3, 1, 5, 0, tzinfo=dt.UTC)
    grievance.due_at = sla.add_working_days(grievance.sla_started_at, 30, sla.holidays(session))
    session.commit()
    result = cli.invoke(args=["grievance", "holidays", "remove", "2027-03-10", "--by", "clerk"])
    assert result.exit_code == 0, result.output
    assert f"complaint {grievance.tracking_number}: deadline 2027-04-18 -> 2027-04-15" in result.output
    session.refresh(grievance)
    assert as_utc(grievance.due_at).astimezone(sla.DHAKA).date() == dt.date(2027, 4, 15)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["confirm", "2027-02-30", "--by", "clerk"], "does not match the format"),
        (["remove", "2027-06-01", "--by", "clerk"], "not a holiday in the calendar; use add"),
        (["add", "2027-03-10", "--name", "Eid", "--by", "clerk"], "already a holiday"),
        (["add", "2027-06-01", "--by", "clerk"], "an added holiday needs --name"),
        (["add", "2026-12-10", "--name", "   ", "--by", "clerk"], "an added holiday needs --name"),
        (["confirm", "2027-03-10"], "Missing option '--by'"),
        (["confirm", "2027-03-10", "--by", " "], "say who records the change (--by)"),
        (["add", "2027-06-01", "--name", "x" * 121, "--by", "clerk"], "--name is 121 characters long; at most 120"),
        (["add", "2027-06-01", "--name", "x", "--name-bn", "ছ" * 121, "--by", "clerk"], "--name-bn is 121"),
        (["recount", "--by", "c" * 121], "--by is 121 characters long; at most 120"),
        (["deadline", "--from", "tomorrow"], "does not match the format"),
        (["deadline", "--from", "2026-12-01", "--working-days", "0"], "0 is not in the range"),
        (["--year", "20x7"], "is not a valid integer"),
    ],
)
def test_holidays_refuses_bad_input_with_a_message(cli, session, no_recorded_holidays, args, message):
    result = cli.invoke(args=["grievance", "holidays", *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_holidays_deadline_prints_what_the_clock_sets(cli, session, no_recorded_holidays):
    # 30 working days (the first tier's) from Tue 1 Dec 2026: Victory Day (Wed 16 Dec) is off.
    result = cli.invoke(args=["grievance", "holidays", "deadline", "--from", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "30 working days from 2026-12-01 (Tue): due 2027-01-13 (Wed) 23:59 Dhaka" in result.output
    # Across Eid-ul-Fitr 2027 (estimated Wed 10 - Fri 12 March).
    short = cli.invoke(args=["grievance", "holidays", "deadline", "--from", "2027-03-09", "--working-days", "2"])
    assert "due 2027-03-15 (Mon)" in short.output


def _on_the_clock(session, started):
    import datetime as dt

    from grievance import sla

    grievance = _routed(session)
    grievance.sla_started_at = dt.datetime.combine(started, dt.time(11), sla.DHAKA).astimezone(dt.UTC)
    grievance.due_at = sla.add_working_days(grievance.sla_started_at, 30, sla.holidays(session))
    session.commit()
    return grievance


@pytest.fixture
def next_gazette(monkeypatch):
    """next_gazette(): deploy the next gazette file, with one more holiday (Wed 2 June 2027)."""
    import datetime as dt

    from grievance import calendar

    shipped = calendar.gazette()
    row = calendar.Correction(dt.date(2027, 6, 2), "add", "Executive order", "নির্বাহী আদেশ", note="next")
    return lambda: monkeypatch.setattr(calendar, "gazette", lambda: (*shipped, row))


def _dhaka(moment):
    from foundation.clock import as_utc
    from grievance import sla

    return as_utc(moment).astimezone(sla.DHAKA).date()


@pytest.mark.parametrize("command", [["grievance", "holidays", "recount"], ["db", "upgrade"]])
def test_recount_and_db_upgrade_move_deadlines_a_new_gazette_file_changes(
    cli, session, no_dispatch, no_recorded_holidays, next_gazette, command
):
    import datetime as dt

    from sqlalchemy import select

    from grievance.models import GrievanceEvent

    grievance = _on_the_clock(session, dt.date(2027, 6, 1))
    before = _dhaka(grievance.due_at)
    next_gazette()
    result = cli.invoke(args=command)
    assert result.exit_code == 0, result.output
    session.refresh(grievance)
    after = _dhaka(grievance.due_at)
    assert (before, after) == (dt.date(2027, 7, 14), dt.date(2027, 7, 15))
    assert f"complaint {grievance.tracking_number}: deadline {before} -> {after}" in result.output
    assert "1 open complaint deadline(s) moved" in result.output
    notes = session.scalars(
        select(GrievanceEvent.note).where(GrievanceEvent.grievance_id == grievance.id).order_by(GrievanceEvent.id)
    ).all()
    assert notes[-1] == f"deadline moved from {before} to {after}: calendar updated (gazette/package)"
    again = cli.invoke(args=command)
    assert again.exit_code == 0 and grievance.tracking_number not in again.output
