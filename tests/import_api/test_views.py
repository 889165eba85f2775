"""POST /api/v1/imports/<kind>: every status, a ministry's own programmes only, idempotent,
bodies far beyond the web's limit, JSON lines the same as CSV."""

from __future__ import annotations

import gzip
import json

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from import_api.models import ApiImport
from import_api.settings import IMPORT_MAX_BYTES
from registry.models import Citizen, Enrolment, ETokenWallet, Outlet, OutletProgramme, Payment
from tests.import_api.conftest import CSV, NDJSON, URL, csv_body, enrolment, ndjson_body, outlet
from tests.registry.conftest import citizen_row, snapshot


def test_enrolments_of_its_own_programme_are_imported_with_the_counts(client, session, bearer, two_citizens):
    token_id, headers = bearer("MOSW")
    body = csv_body("enrolments", [enrolment(), enrolment(nid=two_citizens[1], programme="wda")])
    response = client.post(URL + "enrolments", data=body, headers=headers)
    assert response.status_code == 200
    assert response.json == {"kind": "enrolments", "rows": 2, "counts": {"read": 2, "imported": 2}}
    assert sorted(session.scalars(select(Enrolment.programme_code))) == ["OAA", "WDA"]
    trail = session.scalars(select(ApiImport).where(ApiImport.token_id == token_id)).one()
    assert (trail.ministry_code, trail.kind, trail.outcome, trail.rows) == ("MOSW", "enrolments", "imported", 2)
    assert trail.counts == {"read": 2, "imported": 2} and trail.bytes == len(body)


def test_posting_the_same_file_again_changes_nothing(client, session, bearer, two_citizens):
    _, headers = bearer("MOSW")
    body = csv_body("enrolments", [enrolment(), enrolment(nid=two_citizens[1])])
    first = client.post(URL + "enrolments", data=body, headers=headers)
    before = snapshot(session, Enrolment)
    again = client.post(URL + "enrolments", data=body, headers=headers)
    session.expire_all()
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json
    assert snapshot(session, Enrolment) == before and len(before["enrolments"]) == 2


def test_another_ministrys_programme_is_a_bad_row_and_nothing_is_written(client, session, bearer, two_citizens):
    _, headers = bearer("MOFOOD")
    body = csv_body("enrolments", [enrolment(programme="FFP"), enrolment(nid=two_citizens[1], programme="OAA")])
    response = client.post(URL + "enrolments", data=body, headers=headers)
    assert response.status_code == 422
    assert response.json["error"] == "invalid_rows"
    assert response.json["problems"] == [
        {
            "line": 3,
            "column": "programme",
            "reason": "programme OAA is another ministry's; this import may write only FFP",
        }
    ]
    assert session.scalars(select(Enrolment)).all() == []  # the good FFP row too: all or nothing


def test_every_bad_row_is_listed_with_its_line_column_and_reason(client, session, bearer, two_citizens):
    _, headers = bearer("MOSW")
    rows = [enrolment(), enrolment(nid="123"), enrolment(nid=two_citizens[1], status="asleep"), enrolment()]
    response = client.post(URL + "enrolments", data=csv_body("enrolments", rows), headers=headers)
    assert response.status_code == 422
    problems = response.json["problems"]
    assert [(p["line"], p["column"]) for p in problems] == [(3, "nid"), (4, "status"), (5, "programme")]
    assert "repeats line 2" in problems[2]["reason"]
    assert response.json["message"] == "3 problem(s) found: nothing was imported."


def test_an_outlet_of_another_ministrys_programmes_is_refused(client, session, bearer):
    _, food = bearer("MOFOOD")
    _, welfare = bearer("MOSW")
    _, health = bearer("MOHFW")
    assert client.post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=food).status_code == 200
    # MOSW leads no e-token programme: FFP is the Ministry of Food's.
    refused = client.post(URL + "outlets", data=csv_body("outlets", [outlet(code="OTHER-1")]), headers=welfare)
    assert refused.status_code == 422 and refused.json["problems"][0]["column"] == "programmes"
    # An outlet serving FFP may not be taken over by another ministry listing only its own programme.
    takeover = client.post(URL + "outlets", data=csv_body("outlets", [outlet(programmes="MHV")]), headers=health)
    assert takeover.status_code == 422
    assert takeover.json["problems"] == [
        {
            "line": 2,
            "column": "code",
            "reason": "outlet DEALER-1 also serves FFP, another ministry's programme: "
            "this import may not change the outlet",
        }
    ]
    served = session.scalars(select(OutletProgramme.programme_code).join(Outlet).where(Outlet.code == "DEALER-1"))
    assert list(served) == ["FFP"]


def test_json_lines_import_the_same_as_csv(client, session, bearer, two_citizens):
    _, headers = bearer("MOSW")
    rows = [enrolment(account_number=""), enrolment(nid=two_citizens[1], programme="WDA", payment_channel="bkash")]
    as_csv = client.post(URL + "enrolments", data=csv_body("enrolments", rows), headers=headers)
    from_csv = snapshot(session, Enrolment)
    session.query(Enrolment).delete()
    session.commit()
    as_json = client.post(URL + "enrolments", data=ndjson_body(rows), headers={**headers, "Content-Type": NDJSON})
    session.expire_all()
    assert (as_csv.status_code, as_json.status_code) == (200, 200)
    assert as_json.json == as_csv.json
    ids = lambda snap: [row[1:] for row in snap["enrolments"]]  # noqa: E731  (ids differ: new rows)
    assert ids(snapshot(session, Enrolment)) == ids(from_csv)


def test_json_lines_report_the_same_problems_as_csv_on_their_own_lines(client, session, bearer, two_citizens):
    _, headers = bearer("MOSW")
    rows = [enrolment(nid="12"), enrolment(status="asleep")]
    as_csv = client.post(URL + "enrolments", data=csv_body("enrolments", rows), headers=headers)
    body = ndjson_body(rows) + b"[1, 2]\n" + b'{"nid": {"deep": 1}}\n'
    as_json = client.post(URL + "enrolments", data=body, headers={**headers, "Content-Type": NDJSON})
    assert (as_csv.status_code, as_json.status_code) == (422, 422)
    csv_problems = [{**p, "line": p["line"] - 1} for p in as_csv.json["problems"]]  # the CSV's header is line 1
    assert as_json.json["problems"][:2] == csv_problems
    assert [(p["line"], p["column"]) for p in as_json.json["problems"][2:]] == [(3, ""), (4, "nid")]


def test_a_body_far_larger_than_the_web_limit_is_accepted(app, client, session, bearer):
    _, headers = bearer("MOSW", citizens=True)
    rows = [citizen_row(nid=f"{1_000_000_000 + i}", household_id=f"H{i}") for i in range(600)]
    body = csv_body("citizens", rows)
    assert len(body) > 3 * app.config["MAX_CONTENT_LENGTH"]
    response = client.post(URL + "citizens", data=body, headers=headers)
    assert response.status_code == 200
    assert response.json["counts"] == {"read": 600, "imported": 600}


def test_a_body_past_the_import_limit_is_413(app, client, session, bearer):
    _, headers = bearer("MOSW")
    limit = app.config[IMPORT_MAX_BYTES]
    app.config[IMPORT_MAX_BYTES] = 1000
    try:
        response = client.post(URL + "enrolments", data=b"x" * 1001, headers=headers)
    finally:
        app.config[IMPORT_MAX_BYTES] = limit
    assert response.status_code == 413
    assert response.json == {"error": "too_large", "message": "The file is larger than 1000 bytes. Send it in parts."}
    assert session.scalars(select(ApiImport.outcome)).all() == ["too_large"]


def test_no_token_a_wrong_one_or_a_revoked_one_is_401_with_a_bearer_challenge(client, session, bearer, cli):
    token_id, headers = bearer("MOSW")
    live = headers["Authorization"]
    selector = live.split()[1].split(".")[0]
    for authorization in (None, "Bearer", "Bearer nonsense", f"Bearer {selector}.wrong", "Basic dXNlcjpwYXNz"):
        sent = (
            {**headers, "Authorization": authorization}
            if authorization
            else {"Content-Type": CSV, "Accept-Language": "en"}
        )
        response = client.post(URL + "enrolments", data=b"nid\n", headers=sent)
        assert response.status_code == 401, authorization
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json == {
            "error": "unauthorized",
            "message": "A valid import token is needed (Authorization: Bearer).",
        }
    assert cli.invoke(args=["api", "revoke", str(token_id)]).exit_code == 0
    assert client.post(URL + "enrolments", data=b"nid\n", headers=headers).status_code == 401


def test_an_unknown_kind_is_404(client, session, bearer):
    _, headers = bearer("MOSW")
    response = client.post(URL + "households", data=b"x\n", headers=headers)
    assert response.status_code == 404
    assert response.json["error"] == "unknown_kind"
    assert "citizens, enrolments, payments, etokens, outlets" in response.json["message"]


def test_citizens_need_a_token_issued_for_them(client, session, bearer):
    _, programmes_only = bearer("MOSW")
    _, keeper = bearer("MOSW", citizens=True)
    body = csv_body("citizens", [citizen_row()])
    refused = client.post(URL + "citizens", data=body, headers=programmes_only)
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.post(URL + "citizens", data=body, headers=keeper).status_code == 200


def test_other_media_types_a_foreign_charset_or_a_compressed_body_are_415(client, session, bearer, two_citizens):
    _, headers = bearer("MOSW")
    body = csv_body("enrolments", [enrolment()])
    for content_type, extra in (
        ("application/json", {}),
        ("text/plain", {}),
        ("text/csv; charset=latin-1", {}),
        (CSV, {"Content-Encoding": "gzip"}),
    ):
        data = gzip.compress(body) if extra else body
        response = client.post(
            URL + "enrolments", data=data, headers={**headers, "Content-Type": content_type, **extra}
        )
        assert response.status_code == 415, content_type
        assert response.json["error"] == "unsupported_media_type"
    ok = client.post(URL + "enrolments", data=body, headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    assert ok.status_code == 200


def test_missing_columns_and_a_body_that_is_not_utf8_are_422(client, session, bearer):
    _, headers = bearer("MOSW")
    missing = client.post(URL + "enrolments", data=b"nid,programme\n1234567890,OAA\n", headers=headers)
    assert missing.status_code == 422
    assert [p["column"] for p in missing.json["problems"]] == [
        "status",
        "enrolled_on",
        "payment_channel",
        "account_number",
    ]
    latin = csv_body("enrolments", [enrolment(account_number="caf\u00e9")]).decode().encode("latin-1")
    not_utf8 = client.post(URL + "enrolments", data=latin, headers=headers)
    assert not_utf8.status_code == 422
    assert not_utf8.json["problems"][0]["line"] == 0 and "not UTF-8" in not_utf8.json["problems"][0]["reason"]


def test_refusals_are_in_bangla_by_default(client, session, bearer):
    _, headers = bearer("MOSW")
    del headers["Accept-Language"]
    response = client.post(URL + "households", data=b"x\n", headers=headers)
    assert response.status_code == 404
    assert response.json["message"].startswith("এমন")


def _refused_on_the_trail(session, token_id: int) -> tuple[str, int]:
    trail = session.scalars(select(ApiImport).where(ApiImport.token_id == token_id)).one()
    return trail.outcome, trail.problems


@pytest.mark.parametrize(
    ("media", "body", "line", "reason"),
    [
        (CSV, csv_body("citizens", [citizen_row(name_en="Rahima\x00Begum")]), 2, "control character (U+0000)"),
        # A quoted cell over two lines: the row ends on line 3.
        (CSV, csv_body("citizens", [citizen_row(name_en="Rahima\nBegum")]), 3, "line break"),
        (NDJSON, ndjson_body([citizen_row(name_en="Rahima\x00Begum")]), 1, "control character (U+0000)"),
        # json.dumps escapes it (ensure_ascii), as a ministry's system would have to.
        (NDJSON, json.dumps(citizen_row(name_en="Rahima \ud800")).encode() + b"\n", 1, "lone surrogate (U+D800)"),
    ],
    ids=["csv-nul", "csv-quoted-newline", "json-nul", "json-lone-surrogate"],
)
def test_a_cell_no_column_may_hold_is_a_bad_row_naming_its_column(client, session, bearer, media, body, line, reason):
    token_id, headers = bearer("MOSW", citizens=True)
    response = client.post(URL + "citizens", data=body, headers={**headers, "Content-Type": media})
    assert response.status_code == 422, response.get_data(as_text=True)
    [problem] = response.json["problems"]
    assert problem["line"] == line
    assert problem["column"] == "name_en" and reason in problem["reason"]
    assert _refused_on_the_trail(session, token_id) == ("invalid_rows", 1)
    assert session.scalars(select(Citizen)).all() == []


def test_a_csv_cell_past_the_csv_modules_limit_is_422_on_its_line(client, session, bearer):
    token_id, headers = bearer("MOSW", citizens=True)
    body = csv_body("citizens", [citizen_row(), citizen_row(nid="1234567890", name_en="x" * 200_000)])
    response = client.post(URL + "citizens", data=body, headers=headers)
    assert response.status_code == 422
    [problem] = response.json["problems"]
    assert problem["line"] == 3 and "field larger than field limit" in problem["reason"]
    assert "the body, line 3" in problem["reason"]
    assert _refused_on_the_trail(session, token_id) == ("invalid_rows", 1)
    assert session.scalars(select(Citizen)).all() == []


def test_a_json_key_given_twice_is_a_bad_row(client, session, bearer, two_citizens):
    token_id, headers = bearer("MOSW", content_type=NDJSON)
    line = ndjson_body([enrolment()]).decode().rstrip("\n")
    body = (line[:-1] + ', "programme": "WDA"}\n').encode()
    response = client.post(URL + "enrolments", data=body, headers=headers)
    assert response.status_code == 422
    [problem] = response.json["problems"]
    assert (problem["line"], problem["column"]) == (1, "programme") and "appears twice" in problem["reason"]
    assert _refused_on_the_trail(session, token_id) == ("invalid_rows", 1)
    assert session.scalars(select(Enrolment)).all() == []


@pytest.mark.parametrize(
    ("kind", "column", "amount"),
    [
        ("payments", "amount_bdt", "0.004"),
        ("payments", "amount_bdt", "1e-7"),
        ("payments", "amount_bdt", "1E+5"),
        ("etokens", "balance", "2.125"),
    ],
)
def test_amounts_past_the_paisa_or_in_exponent_form_are_bad_rows_not_rounded(
    client, session, bearer, two_citizens, kind, column, amount
):
    token_id, headers = bearer("MOSW")
    rows = {
        "payments": {
            "nid": two_citizens[0],
            "programme": "OAA",
            "cycle": "2024-01",
            "amount_bdt": amount,
            "status": "credited",
            "paid_on": "2024-01-20",
            "channel": "nagad",
            "txn_id": "TX1",
            "failure_reason": "",
        },
        "etokens": {"nid": two_citizens[0], "programme": "FFP", "balance": amount, "unit": "kg rice"},
    }
    if kind == "etokens":
        token_id, headers = bearer("MOFOOD")
    response = client.post(URL + kind, data=csv_body(kind, [rows[kind]]), headers=headers)
    assert response.status_code == 422, response.json
    [problem] = response.json["problems"]
    assert problem["column"] == column and amount in problem["reason"]
    assert _refused_on_the_trail(session, token_id) == ("invalid_rows", 1)
    assert session.scalars(select(Payment)).all() == [] and session.scalars(select(ETokenWallet)).all() == []


def test_an_outlet_serving_no_programme_is_not_taken_over_by_any_ministry(client, session, bearer, cli, tmp_path):
    _, food = bearer("MOFOOD")
    _, health = bearer("MOHFW")
    assert client.post(URL + "outlets", data=csv_body("outlets", [outlet()]), headers=food).status_code == 200
    # Its programmes removed by hand (a season over): nothing in the registry says whose it is now.
    session.execute(delete(OutletProgramme))
    session.commit()
    takeover = outlet(programmes="MHV", operator_mobile="01911000999")
    refused = client.post(URL + "outlets", data=csv_body("outlets", [takeover]), headers=health)
    assert refused.status_code == 422
    [problem] = refused.json["problems"]
    assert (problem["line"], problem["column"]) == (2, "code") and "serves no programme" in problem["reason"]
    assert session.scalars(select(Outlet.operator_mobile)).all() == ["+8801911000001"]
    # The registry's keeper, importing through the CLI, still can.
    path = tmp_path / "outlets.csv"
    path.write_bytes(csv_body("outlets", [takeover]))
    done = cli.invoke(args=["registry", "import", "outlets", str(path)])
    assert done.exit_code == 0, done.output
    session.expire_all()
    assert session.scalars(select(Outlet.operator_mobile)).all() == ["+8801911000999"]


def test_another_method_or_a_path_with_no_kind_answers_in_the_import_apis_format(client, session, bearer):
    _, headers = bearer("MOSW")
    for method in ("get", "put", "delete"):
        response = getattr(client, method)(URL + "enrolments", headers=headers)
        assert response.status_code == 405
        assert response.json == {"error": "method_not_allowed", "message": "This method is not allowed here."}
        assert "POST" in response.headers["Allow"]
    for path in (URL, URL + "enrolments/extra"):
        response = client.post(path, data=b"x", headers=headers)
        assert response.status_code == 404 and response.json["error"] == "unknown_kind", path


@pytest.mark.parametrize(
    "outage",
    [
        DBAPIError("SELECT secret_table", {}, Exception("server closed the connection"), connection_invalidated=True),
        RedisConnectionError("Error 111 connecting to 10.0.0.7:6379"),
    ],
    ids=["database-connection-lost", "redis-down"],
)
def test_a_lost_database_or_redis_is_503_in_the_import_apis_format(client, session, bearer, monkeypatch, outage):
    _, headers = bearer("MOSW")

    def lost(*args, **kwargs):
        raise outage

    monkeypatch.setattr("import_api.views._run", lost)
    response = client.post(URL + "enrolments", data=csv_body("enrolments", [enrolment()]), headers=headers)
    assert response.status_code == 503
    assert response.json["error"] == "unavailable" and "try again" in response.json["message"]
    assert response.headers["Retry-After"] == "30"
    assert "10.0.0.7" not in response.get_data(as_text=True) and "secret" not in response.get_data(as_text=True)
