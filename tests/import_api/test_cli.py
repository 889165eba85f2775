"""`flask --app wsgi api token|revoke|list`."""

from __future__ import annotations

from sqlalchemy import select

from import_api.models import ApiToken
from tests.import_api.conftest import CSV, URL, csv_body, outlet


def test_a_token_is_printed_once_works_and_only_its_hash_is_kept(cli, client, session, trail):
    issued = cli.invoke(args=["api", "token", "--ministry", "mofood", "--label", "Food MIS"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    stored = session.scalars(select(ApiToken)).one()
    assert (stored.ministry_code, stored.label, stored.may_import_citizens) == ("MOFOOD", "Food MIS", False)
    assert token.split(".")[1] not in (stored.secret_hash, stored.selector)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": CSV}
    assert client.post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=headers).status_code == 200
    listed = cli.invoke(args=["api", "list"])
    assert f"{stored.id}\tMOFOOD\tprogrammes\tFood MIS\t" in listed.output and "live" in listed.output
    assert cli.invoke(args=["api", "revoke", str(stored.id)]).exit_code == 0
    assert "revoked" in cli.invoke(args=["api", "list"]).output
    assert client.post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=headers).status_code == 401


def test_an_unknown_ministry_or_token_is_a_clear_error(cli, session, trail):
    unknown = cli.invoke(args=["api", "token", "--ministry", "NOPE"])
    assert unknown.exit_code != 0 and "no ministry with code 'NOPE'" in unknown.output and "MOFOOD" in unknown.output
    missing = cli.invoke(args=["api", "revoke", "999999"])
    assert missing.exit_code != 0 and "no token 999999" in missing.output


def test_citizens_are_granted_only_by_the_flag(cli, session, trail):
    assert cli.invoke(args=["api", "token", "--ministry", "MOSW", "--citizens"]).exit_code == 0
    assert session.scalars(select(ApiToken.may_import_citizens)).one() is True
