"""`grievance routes export|import`: routing rules changed without a release."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from foundation import clock
from foundation.db import database, db_session
from foundation.rule_changes import RuleChange
from grievance.intake import file_grievance
from grievance.jobs import route_grievance
from grievance.models import Category, Grievance
from grievance.reference_data import SEED_DIR, seed_routing_rules, sync_grievance_reference_data
from grievance.route_files import COLUMNS, export_routes, plan_import, routing_day
from grievance.routing import resolve
from grievance.sla import DHAKA
from sahayata.app import create_app
from tests.factories import make_citizen, make_filing


@pytest.fixture
def routes(app):
    """Every test starts from the seed's routing rules and no recorded change, and leaves them so."""

    def reset() -> None:
        with app.app_context():
            from grievance.models import RoutingRule

            session = db_session()
            session.rollback()
            session.execute(delete(RuleChange))
            session.execute(delete(RoutingRule))
            session.add_all(seed_routing_rules())
            session.commit()

    reset()
    yield
    reset()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _egpp_moves_to_mosw(rows: list[dict[str, str]], on: dt.date) -> list[dict[str, str]]:
    """EGPP's base rule closed the day before ``on`` and a MOSW rule from ``on``."""
    out = []
    for row in rows:
        if (row["programme"], row["category"]) == ("EGPP", ""):
            out.append({**row, "effective_to": (on - dt.timedelta(days=1)).isoformat()})
            out.append({**row, "ministry": "MOSW", "effective_from": on.isoformat(), "note": "moved to MOSW"})
        else:
            out.append(row)
    return out


def _moved_file(session, tmp_path: Path, on: dt.date) -> Path:
    return _write(tmp_path / "move.csv", _egpp_moves_to_mosw(_rows(export_routes(session, None)), on))


def _records(session) -> list[RuleChange]:
    return list(session.scalars(select(RuleChange).order_by(RuleChange.id)))


def test_export_writes_the_format_import_reads(cli, session, routes, tmp_path):
    exported = tmp_path / "routes.csv"
    assert cli.invoke(args=["grievance", "routes", "export", str(exported)]).exit_code == 0
    # The seed file itself is an exported file: the same format both ways.
    assert exported.read_text(encoding="utf-8") == (SEED_DIR / "routing_rules.csv").read_text(encoding="utf-8")
    assert not plan_import(session, exported).difference
    result = cli.invoke(args=["grievance", "routes", "import", str(exported), "--reason", "none", "--by", "a"])
    assert result.exit_code == 0 and "no difference" in result.output
    session.rollback()
    assert _records(session) == []


def test_a_bad_file_is_reported_by_line_and_column_and_changes_nothing(cli, session, routes, tmp_path):
    before = export_routes(session, None)
    rows = _rows(before)
    rows[0] = {**rows[0], "ministry": "MOXX"}  # line 2
    rows[1] = {**rows[1], "office_level": "village"}  # line 3
    rows[2] = {**rows[2], "effective_to": "1999-12-31"}  # line 4: before its first day
    rows.append({**rows[3], "effective_from": "2020-01-01", "note": "twice"})  # overlaps line 5
    bad = _write(tmp_path / "bad.csv", rows)

    result = cli.invoke(args=["grievance", "routes", "import", str(bad), "--reason", "r", "--by", "a"])

    assert result.exit_code == 1
    assert "line 2, column ministry: unknown ministry 'MOXX'" in result.output
    assert "line 3, column office_level: 'village' is not one of" in result.output
    assert "line 4, column effective_to: 1999-12-31 is before effective_from 2000-01-01" in result.output
    assert f"line {len(rows) + 1}, column effective_from: overlaps the rule on line 5" in result.output
    session.rollback()
    assert export_routes(session, None) == before and _records(session) == []


def test_complaints_about_no_programme_always_keep_a_rule(cli, session, routes, tmp_path):
    rows = [row for row in _rows(export_routes(session, None)) if row["programme"] or row["category"]]
    result = cli.invoke(args=["grievance", "routes", "import", str(_write(tmp_path / "r.csv", rows)), "--dry-run"])
    assert result.exit_code == 1
    assert "no base rule for complaints about no programme is in force" in result.output


def test_dry_run_prints_the_difference_and_changes_nothing(cli, session, routes, tmp_path):
    before = export_routes(session, None)
    rows = _egpp_moves_to_mosw(_rows(before), dt.date(2027, 1, 1))
    rows = [row for row in rows if row["category"] != "payment_not_received"]
    edited = _write(tmp_path / "edited.csv", rows)

    result = cli.invoke(args=["grievance", "routes", "import", str(edited), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "1 added, 1 changed, 1 removed" in result.output
    assert "+ programme=EGPP ministry=MOSW office_level=upazila effective_from=2027-01-01" in result.output
    assert "effective_to: (empty) → 2026-12-31" in result.output
    assert "- category=payment_not_received also_ministry=FD" in result.output
    assert "dry run: nothing was changed" in result.output
    session.rollback()
    assert export_routes(session, None) == before and _records(session) == []


def test_an_applied_change_is_recorded_with_who_when_and_why(cli, session, routes, tmp_path):
    edited = _moved_file(session, tmp_path, dt.date(2027, 1, 1))
    refused = cli.invoke(args=["grievance", "routes", "import", str(edited), "--reason", "  "])
    assert refused.exit_code == 1 and "--reason" in refused.output

    started = clock.utcnow()
    args = ["grievance", "routes", "import", str(edited), "--reason", "EGPP moves to MOSW", "--by", "GRS cell"]
    result = cli.invoke(args=args)
    assert result.exit_code == 0, result.output
    session.rollback()
    [change] = _records(session)
    assert (change.kind, change.changed_by, change.reason) == ("routing", "GRS cell", "EGPP moves to MOSW")
    assert started - dt.timedelta(seconds=1) <= clock.as_utc(change.changed_at) <= clock.utcnow()
    assert (change.added, change.changed, change.removed) == (1, 1, 0)
    assert change.difference["added"][0]["ministry"] == "MOSW"
    assert change.difference["changed"][0]["after"]["effective_to"] == "2026-12-31"


def _filed(session, programme: str) -> Grievance:
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    return file_grievance(session, make_filing(citizen_id=citizen.id, programme_code=programme)).grievance


def test_a_complaint_routed_tomorrow_goes_by_tomorrows_rules(cli, session, routes, tmp_path, monkeypatch, no_dispatch):
    today = routing_day()
    tomorrow = today + dt.timedelta(days=1)
    edited = _moved_file(session, tmp_path, tomorrow)
    assert cli.invoke(args=["grievance", "routes", "import", str(edited), "--reason", "r", "--by", "a"]).exit_code == 0
    session.rollback()

    routed_today = _filed(session, "EGPP")
    route_grievance(routed_today.id)
    session.expire_all()
    assert session.get(Grievance, routed_today.id).ministry_code == "MODMR"

    # The routing job reads the time through the clock seam (foundation.clock.utcnow, as
    # grievance.jobs imports it): a day later the same complaint goes by tomorrow's rule.
    now = clock.utcnow()
    monkeypatch.setattr("grievance.jobs.utcnow", lambda: now + dt.timedelta(days=1))
    routed_tomorrow = file_grievance(
        session, make_filing(citizen_id=routed_today.citizen_id, programme_code="EGPP", category=Category.OTHER)
    ).grievance
    route_grievance(routed_tomorrow.id)
    session.expire_all()
    routed = session.get(Grievance, routed_tomorrow.id)
    assert routed.ministry_code == "MOSW"
    assert clock.as_utc(routed.routed_at).astimezone(DHAKA).date() == tomorrow


def test_an_import_reaches_another_running_app_at_once(cli, session, routes, tmp_path, app):
    day = routing_day()
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]})
    try:
        with other.app_context():
            assert resolve(db_session(), "EGPP", Category.OTHER, True, day).ministry_code == "MODMR"
            db_session().rollback()
        rows = [
            {**row, "ministry": "MOSW"} if (row["programme"], row["category"]) == ("EGPP", "") else row
            for row in _rows(export_routes(session, None))
        ]
        edited = _write(tmp_path / "now.csv", rows)
        applied = cli.invoke(args=["grievance", "routes", "import", str(edited), "--reason", "r", "--by", "a"])
        assert applied.exit_code == 0, applied.output
        with other.app_context():
            assert resolve(db_session(), "EGPP", Category.OTHER, True, day).ministry_code == "MOSW"
            db_session().rollback()
    finally:
        database(other).engine.dispose()


def test_an_upgrade_never_puts_the_seed_back_over_an_import(cli, session, routes, tmp_path):
    edited = _moved_file(session, tmp_path, dt.date(2027, 1, 1))
    assert cli.invoke(args=["grievance", "routes", "import", str(edited), "--reason", "r", "--by", "a"]).exit_code == 0
    session.rollback()
    sync_grievance_reference_data(session)
    session.commit()
    assert resolve(session, "EGPP", Category.OTHER, True, dt.date(2027, 1, 2)).ministry_code == "MOSW"
