"""`flask --app wsgi registry import|check` and `demo-data`, through Flask's CLI runner."""

from sqlalchemy import func, select

from registry.models import Citizen
from tests.registry.conftest import citizen_row


def test_import_command_reports_bad_rows_and_exits_non_zero(cli, session, write_csv):
    path = write_csv("citizens", [citizen_row(), citizen_row(nid="1234567890", mobile="12345")])
    result = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert result.exit_code == 1
    assert "line 3, column mobile: not a" in result.output
    assert "nothing was written" in result.output
    assert session.scalar(select(func.count()).select_from(Citizen)) == 0


def test_import_command_with_skip_bad(cli, session, write_csv, tmp_path):
    path = write_csv("citizens", [citizen_row(), citizen_row(nid="1234567890", mobile="12345")])
    rejects = tmp_path / "out.csv"
    result = cli.invoke(args=["registry", "import", "citizens", str(path), "--skip-bad", "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "1 of 2 citizens rows imported" in result.output
    assert rejects.exists()
    assert session.scalar(select(func.count()).select_from(Citizen)) == 1


def test_import_command_refuses_file_without_required_columns(cli, write_csv):
    path = write_csv("citizens", [{"nid": "1234567890"}], columns=["nid"])
    result = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert result.exit_code != 0 and "missing columns" in result.output


def test_import_command_rejects_non_utf8(cli, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(",".join(citizen_row()).encode() + b"\n" + "Ç".encode("latin-1") * 3 + b"\n")
    result = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output


def test_check_command_explains_in_bangla(cli, session, write_csv):
    cli.invoke(args=["registry", "import", "citizens", str(write_csv("citizens", [citizen_row()]))])
    result = cli.invoke(args=["registry", "check", "1958123456789", "--programme", "wda", "--lang", "bn"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("WDA বিধবা ও স্বামী নিগৃহীতা মহিলা ভাতা: যোগ্য")


def test_demo_data_command_prints_phones_and_respects_if_empty(cli, session):
    result = cli.invoke(args=["demo-data", "--citizens", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "demo registry: 300 citizens" in result.output
    assert "+880" in result.output.split("phones to try:")[1]
    again = cli.invoke(args=["demo-data", "--citizens", "300", "--if-empty"])
    assert "already has 300 citizens" in again.output
    assert session.scalar(select(func.count()).select_from(Citizen)) == 300


def test_demo_data_is_refused_in_production(production_app):
    from foundation.db import db_session
    from registry.models import Citizen

    # No app context of the development app may be open: the command would run in it.
    result = production_app.test_cli_runner().invoke(args=["demo-data", "--citizens", "5"])
    assert result.exit_code != 0 and "development machines only" in result.output
    with production_app.app_context():
        assert db_session().query(Citizen).count() == 0


def test_outlets_token_prints_a_new_token_once_and_keeps_only_its_hash(session, cli):
    from registry.models import Outlet
    from registry.outlets import outlet_by_token, token_hash
    from tests.redemption_support import make_outlet

    outlet = make_outlet(session)
    first = cli.invoke(args=["outlets", "token", outlet.code.lower()])
    second = cli.invoke(args=["outlets", "token", outlet.code])
    assert first.exit_code == 0 and second.exit_code == 0
    old, new = first.stdout.strip(), second.stdout.strip()
    assert len(new) >= 43 and old != new
    session.expire_all()
    stored = session.get(Outlet, outlet.id).token_hash
    assert stored == token_hash(new) and new not in stored
    assert outlet_by_token(session, old) is None  # a new token replaces the old
    assert cli.invoke(args=["outlets", "token", "NO-SUCH"]).exit_code != 0


def test_outlets_revoke_locks_the_app_out_until_a_new_token(session, cli):
    from registry.outlets import outlet_by_token
    from tests.redemption_support import make_outlet

    outlet = make_outlet(session)
    token = cli.invoke(args=["outlets", "token", outlet.code]).stdout.strip()
    assert outlet_by_token(session, token) is not None
    revoked = cli.invoke(args=["outlets", "revoke", outlet.code])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    session.expire_all()
    assert outlet_by_token(session, token) is None
    assert cli.invoke(args=["outlets", "revoke", "NO-SUCH"]).exit_code != 0
    fresh = cli.invoke(args=["outlets", "token", outlet.code]).stdout.strip()
    assert outlet_by_token(session, fresh) is not None
