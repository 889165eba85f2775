import csv

from tests.factories import make_citizen, make_enrolment, make_household


def test_signals_report_writes_every_signal_as_csv_with_identifiers_masked(session, cli, tmp_path):
    people = [make_citizen(session, rescore=False, household=make_household(session)) for _ in range(3)]
    for person in people:
        make_enrolment(session, person, "OAA", account_number="01712345678")
    session.commit()
    out = tmp_path / "signals"
    result = cli.invoke(args=["signals", "report", "--out", str(out), "--as-of", "2026-11-01"])
    assert result.exit_code == 0, result.output
    from monitoring.signals import SIGNALS

    assert {p.stem for p in out.glob("*.csv")} == set(SIGNALS)
    with (out / "shared_accounts.csv").open(encoding="utf-8") as handle:
        assert [(r["account"], r["households"]) for r in csv.DictReader(handle)] == [("**5678", "3")]
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert not any(person.nid in text for person in people)
    assert "01712345678" not in text
    assert "shared_accounts.csv" in (out / "README.txt").read_text(encoding="utf-8")


def test_a_bad_burst_setting_is_a_usage_error(cli, tmp_path):
    result = cli.invoke(args=["signals", "report", "--out", str(tmp_path), "--burst-count", "1"])
    assert result.exit_code == 2 and "burst-count" in result.output


def test_the_report_reads_each_signal_with_its_own_work_mem_and_a_page_view_without(
    session, database_url, tmp_path, monkeypatch
):
    import pytest
    from sqlalchemy import text

    from monitoring import report, signals
    from registry.demo import DEMO_AS_OF

    if not database_url.startswith("postgresql"):
        pytest.skip("embedded mode: SQLite has no work_mem (CI's PostgreSQL pass runs this)")
    seen = {}
    plain_rows = report.rows

    def rows_noting_work_mem(session_, name, settings):
        seen[name] = session_.execute(text("SHOW work_mem")).scalar()
        return plain_rows(session_, name, settings)

    monkeypatch.setattr(report, "rows", rows_noting_work_mem)
    report.write_report(session, tmp_path / "out", signals.Settings(as_of=DEMO_AS_OF))
    assert set(seen) == set(signals.SIGNALS) and set(seen.values()) == {report.REPORT_WORK_MEM}
    session.rollback()
    assert session.execute(text("SHOW work_mem")).scalar() != report.REPORT_WORK_MEM  # the transaction's only
