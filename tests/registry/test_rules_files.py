"""`registry rules export|import`: eligibility rules changed without a release."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from foundation import clock, rule_changes
from foundation.db import database, db_session
from foundation.rule_changes import RuleChange
from registry.eligibility import engine
from registry.eligibility.engine import check, forget_cached_rulebook, rulebook, rules_day
from registry.models import EligibilityRule
from registry.reference_data import seed_rules, sync_reference_data
from registry.rules_files import COLUMNS, export_rules, plan_import
from sahayata.app import create_app


@pytest.fixture
def rules(app):
    """Every test starts from the seed's rules and no recorded change, and leaves them so."""

    def reset() -> None:
        with app.app_context():
            session = db_session()
            session.rollback()
            session.execute(delete(RuleChange))
            session.execute(delete(EligibilityRule))
            session.add_all(seed_rules())
            session.commit()
            forget_cached_rulebook()

    reset()
    yield
    reset()


def _exported(session) -> str:
    return export_rules(session, None)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _changed_income_ceiling(rows: list[dict[str, str]], bdt: int) -> list[dict[str, str]]:
    return [
        {**row, "params": f'{{"bdt": {bdt}}}'}
        if (row["programme"], row["criterion"]) == ("OAA", "household_income_max")
        else row
        for row in rows
    ]


def _records(session) -> list[RuleChange]:
    return list(session.scalars(select(RuleChange).order_by(RuleChange.id)))


def test_export_writes_exactly_what_import_reads(cli, session, rules, tmp_path):
    exported = tmp_path / "rules.csv"
    assert cli.invoke(args=["registry", "rules", "export", str(exported)]).exit_code == 0
    rows = _rows(exported.read_text(encoding="utf-8"))
    assert len(rows) == len(seed_rules()) and set(rows[0]) == set(COLUMNS)
    assert not plan_import(session, exported).difference

    result = cli.invoke(args=["registry", "rules", "import", str(exported), "--reason", "no change", "--by", "a"])
    assert result.exit_code == 0, result.output
    assert "no difference" in result.output and "nothing recorded" in result.output
    assert _records(session) == []
    again = tmp_path / "again.csv"
    cli.invoke(args=["registry", "rules", "export", str(again)])
    assert again.read_bytes() == exported.read_bytes()


def test_a_bad_file_is_reported_by_line_and_column_and_changes_nothing(cli, session, rules, tmp_path):
    before = _exported(session)
    rows = _rows(before)
    rows[1] = {**rows[1], "params": '{"bdt": "ten thousand"}'}  # line 3
    rows[2] = {**rows[2], "effective_from": "2027-02-30"}  # line 4
    rows[3] = {**rows[3], "programme": "OAAX"}  # line 5
    rows[4] = {**rows[4], "criterion": "age_maximum"}  # line 6
    rows.append({**rows[0], "params": "{"})  # line 40: not JSON
    bad = _write(tmp_path / "bad.csv", rows)

    result = cli.invoke(args=["registry", "rules", "import", str(bad), "--reason", "budget", "--by", "alice"])

    assert result.exit_code == 1
    assert "line 3, column params: criterion household_income_max cannot use these values" in result.output
    assert "line 4, column effective_from: '2027-02-30' is not a date" in result.output
    assert "line 5, column programme: unknown programme 'OAAX'" in result.output
    assert "line 6, column criterion: unknown criterion 'age_maximum'" in result.output
    assert f"line {len(rows) + 1}, column params: not JSON" in result.output
    assert "nothing was changed" in result.output
    session.rollback()
    assert _exported(session) == before and _records(session) == []


def test_a_file_that_leaves_a_programme_without_rules_is_refused(cli, session, rules, tmp_path):
    before = _exported(session)
    rows = [row for row in _rows(before) if row["programme"] != "GPEN"]
    result = cli.invoke(
        args=["registry", "rules", "import", str(_write(tmp_path / "r.csv", rows)), "--reason", "x", "--by", "a"]
    )
    assert result.exit_code == 1
    assert "programme GPEN would have no rules in force" in result.output
    session.rollback()
    assert _exported(session) == before


def test_dry_run_prints_added_changed_and_removed_and_changes_nothing(cli, session, rules, tmp_path):
    before = _exported(session)
    rows = _changed_income_ceiling(_rows(before), 12000)
    removed = next(row for row in rows if (row["programme"], row["criterion"]) == ("PDA", "household_income_max"))
    rows.remove(removed)
    rows.append({"programme": "OAA", "effective_from": "2027-07-01", "criterion": "age_min", "params": '{"years": 60}'})
    edited = _write(tmp_path / "edited.csv", rows)

    result = cli.invoke(args=["registry", "rules", "import", str(edited), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "1 added, 1 changed, 1 removed" in result.output
    assert "+ programme=OAA effective_from=2027-07-01 criterion=age_min" in result.output
    assert "criterion=household_income_max" in result.output
    assert 'params: {"bdt": 10000} → {"bdt": 12000}' in result.output
    assert "- programme=PDA effective_from=2000-01-01 criterion=household_income_max" in result.output
    assert "dry run: nothing was changed" in result.output
    session.rollback()
    assert _exported(session) == before and _records(session) == []


def test_applying_needs_a_reason_and_records_who_when_why_and_the_difference(cli, session, rules, tmp_path):
    edited = _write(tmp_path / "fy27.csv", _changed_income_ceiling(_rows(_exported(session)), 12000))

    refused = cli.invoke(args=["registry", "rules", "import", str(edited), "--by", "alice"])
    assert refused.exit_code == 1 and "--reason" in refused.output
    session.rollback()
    assert _records(session) == []

    started = clock.utcnow()
    result = cli.invoke(args=["registry", "rules", "import", str(edited), "--reason", "FY27 budget", "--by", "alice"])
    assert result.exit_code == 0, result.output
    session.rollback()
    [change] = _records(session)
    assert (change.kind, change.changed_by, change.reason, change.file_name) == (
        "eligibility",
        "alice",
        "FY27 budget",
        "fy27.csv",
    )
    assert started - dt.timedelta(seconds=1) <= clock.as_utc(change.changed_at) <= clock.utcnow()
    assert (change.added, change.changed, change.removed) == (0, 1, 0)
    [moved] = change.difference["changed"]
    assert (moved["before"]["params"], moved["after"]["params"]) == ('{"bdt": 10000}', '{"bdt": 12000}')
    oaa = dict(rulebook(session).rules["OAA"])
    assert oaa["household_income_max"] == {"bdt": 12000}

    # Without --by the record names the login name of the person at the keyboard.
    again = _write(tmp_path / "fy28.csv", _changed_income_ceiling(_rows(_exported(session)), 13000))
    assert cli.invoke(args=["registry", "rules", "import", str(again), "--reason", "FY28"]).exit_code == 0
    session.rollback()
    assert _records(session)[-1].changed_by == getpass.getuser()


def test_a_set_effective_tomorrow_applies_from_tomorrow_not_today(cli, session, rules, tmp_path, monkeypatch):
    today = rules_day()
    tomorrow = today + dt.timedelta(days=1)
    rows = _rows(_exported(session))
    oaa = [row for row in rows if row["programme"] == "OAA"]
    rows += [
        {**row, "effective_from": tomorrow.isoformat(), "params": '{"F": 60, "M": 60, "X": 60}'}
        if row["criterion"] == "age_min_by_gender"
        else {**row, "effective_from": tomorrow.isoformat()}
        for row in oaa
    ]
    dated = _write(tmp_path / "dated.csv", rows)
    result = cli.invoke(args=["registry", "rules", "import", str(dated), "--reason", "lower age", "--by", "a"])
    assert result.exit_code == 0, result.output
    session.rollback()

    man_of_61 = engine.CitizenFacts(
        age=61,
        gender="M",
        marital_status="married",
        disability=False,
        household_income=Decimal(3000),
        land=Decimal(0),
        vulnerability=60,
        district_name="Cumilla",
        upazila_id=1,
        active_programmes=frozenset(),
    )
    assert check(man_of_61, "OAA", rulebook(session)).decision is engine.Decision.NOT_ELIGIBLE

    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + dt.timedelta(days=1))
    assert rules_day() == tomorrow
    assert check(man_of_61, "OAA", rulebook(session)).decision is engine.Decision.ELIGIBLE
    # A decision about today is still taken by today's rules.
    assert check(man_of_61, "OAA", rulebook(session, today)).decision is engine.Decision.NOT_ELIGIBLE


def test_an_import_reaches_another_running_app_without_a_restart(cli, session, rules, tmp_path, app):
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]})
    try:
        with other.app_context():
            assert dict(rulebook(db_session()).rules["OAA"])["household_income_max"] == {"bdt": 10000}
            db_session().rollback()
        edited = _write(tmp_path / "e.csv", _changed_income_ceiling(_rows(_exported(session)), 15000))
        result = cli.invoke(args=["registry", "rules", "import", str(edited), "--reason", "r", "--by", "a"])
        assert result.exit_code == 0, result.output
        # The other process trusts its copy for at most VERSION_CHECK_SECONDS, then compares
        # the version (SAHAYATA_RULES_CACHE_SECONDS, 300 s, is far longer than this test).
        time.sleep(engine.VERSION_CHECK_SECONDS + 0.1)
        with other.app_context():
            assert dict(rulebook(db_session()).rules["OAA"])["household_income_max"] == {"bdt": 15000}
            db_session().rollback()
    finally:
        database(other).engine.dispose()


def test_an_upgrade_never_puts_the_seed_back_over_an_import(cli, session, rules, tmp_path):
    edited = _write(tmp_path / "e.csv", _changed_income_ceiling(_rows(_exported(session)), 11000))
    assert cli.invoke(args=["registry", "rules", "import", str(edited), "--reason", "r", "--by", "a"]).exit_code == 0
    session.rollback()
    sync_reference_data(session)
    session.commit()
    forget_cached_rulebook()
    assert dict(rulebook(session).rules["OAA"])["household_income_max"] == {"bdt": 11000}


def test_the_seed_is_the_first_load_of_an_empty_table(session, rules):
    session.execute(delete(EligibilityRule))
    sync_reference_data(session)
    session.flush()
    assert session.scalar(select(func.count()).select_from(EligibilityRule)) == len(seed_rules())
    session.rollback()


def test_history_lists_the_applied_changes(cli, session, rules, tmp_path):
    edited = _write(tmp_path / "e.csv", _changed_income_ceiling(_rows(_exported(session)), 11000))
    cli.invoke(args=["registry", "rules", "import", str(edited), "--reason", "FY27 budget", "--by", "alice"])
    listed = cli.invoke(args=["registry", "rules", "history"]).output
    assert "alice  e.csv: 0 added, 1 changed, 0 removed  (FY27 budget)" in listed
    assert rule_changes.version(session, "eligibility") > 0
