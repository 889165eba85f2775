"""`grievance holidays export|import`: the SLA calendar as a file, each change recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from foundation.rule_changes import RuleChange
from grievance.calendar import calendar
from grievance.holiday_files import export_holidays, plan_import
from grievance.models import HolidayChange


@pytest.fixture
def no_changes(app, no_recorded_changes):
    yield
    with app.app_context():
        from foundation.db import db_session

        session = db_session()
        session.rollback()
        session.execute(delete(RuleChange))
        session.commit()


def _lines(session) -> list[str]:
    return export_holidays(session, None).splitlines()


def test_export_round_trips_and_an_edit_is_applied_as_recorded_changes(cli, session, no_changes, tmp_path):
    exported = tmp_path / "holidays.csv"
    assert cli.invoke(args=["grievance", "holidays", "export", str(exported)]).exit_code == 0
    assert not plan_import(session, exported).difference
    lines = exported.read_text(encoding="utf-8").splitlines()
    estimated = next(line for line in lines if line.endswith(",no"))
    confirmed = next(line for line in lines[1:] if line.endswith(",yes"))
    edited = [line for line in lines if line != confirmed]
    edited[edited.index(estimated)] = estimated[: -len("no")] + "yes"
    year = lines[-1][:4]
    edited.append(f"{year}-06-02,Extra holiday,অতিরিক্ত ছুটি,yes")
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")

    dry = cli.invoke(args=["grievance", "holidays", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 added, 1 changed, 1 removed" in dry.output and "confirmed: no → yes" in dry.output
    session.rollback()
    assert session.scalars(select(HolidayChange)).all() == []

    args = ["grievance", "holidays", "import", str(path), "--reason", "MoPA notice", "--by", "GRS cell"]
    applied = cli.invoke(args=args)
    assert applied.exit_code == 0, applied.output
    session.rollback()
    changes = session.scalars(select(HolidayChange).order_by(HolidayChange.id)).all()
    assert [(c.action.value, c.recorded_by) for c in changes] == [
        ("remove", "GRS cell"),
        ("confirm", "GRS cell"),
        ("add", "GRS cell"),
    ]
    [record] = session.scalars(select(RuleChange)).all()
    assert (record.kind, record.changed_by, record.reason) == ("holidays", "GRS cell", "MoPA notice")
    days = calendar(session, [int(year)])
    assert days[dt.date.fromisoformat(f"{year}-06-02")].name_bn == "অতিরিক্ত ছুটি"
    assert _lines(session) == [edited[0], *sorted(edited[1:])]  # the export is in day order


def test_a_bad_holidays_file_is_reported_and_changes_nothing(cli, session, no_changes, tmp_path):
    lines = _lines(session)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([*lines, "2027-02-30,X,এক্স,yes", "2027-06-03,New,নতুন,no"]) + "\n", encoding="utf-8")
    result = cli.invoke(args=["grievance", "holidays", "import", str(path), "--reason", "r", "--by", "a"])
    assert result.exit_code == 1
    assert f"line {len(lines) + 1}, column day: '2027-02-30' is not a date" in result.output
    session.rollback()
    assert session.scalars(select(HolidayChange)).all() == [] and _lines(session) == lines
