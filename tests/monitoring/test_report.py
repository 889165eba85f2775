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
