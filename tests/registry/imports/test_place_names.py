"""A ministry's file spells places its own way: BBS names, older English, Bangla, geo-codes."""

import datetime as dt

from sqlalchemy import select

from registry.imports import run_import
from registry.models import Citizen, District, Upazila
from tests.registry.conftest import citizen_row

TODAY = dt.date(2026, 11, 1)


def _place(session, nid):
    citizen = session.scalar(select(Citizen).where(Citizen.nid == nid))
    return session.get(District, citizen.district_id).name_en, session.get(Upazila, citizen.upazila_id).name_en


def test_a_citizens_file_spelled_the_bbs_way_imports(session, write_csv):
    rows = [
        citizen_row(nid="1234567890", district="Rangpur", upazila="Pirgachha", household_id="H1"),
        citizen_row(nid="1234567891", district="Comilla", upazila="Adarsha Sadar", household_id="H2"),
        citizen_row(nid="1234567892", district="Chittagong", upazila="Rangunia Upazila", household_id="H3"),
        citizen_row(nid="1234567893", district="BD4041", upazila="Jashore Sadar", household_id="H4"),
        citizen_row(nid="1234567894", district="Bogra", upazila="BD50100020", household_id="H5"),
        citizen_row(nid="1234567895", district="বরিশাল", upazila="বাকেরগঞ্জ", household_id="H6"),
    ]
    report = run_import(session, "citizens", write_csv("citizens", rows), today=TODAY)
    assert report.problems == [] and report.committed and report.rows_written == 6
    assert _place(session, "1234567890") == ("Rangpur", "Pirgacha")
    assert _place(session, "1234567891") == ("Cumilla", "Comilla Sadar")
    assert _place(session, "1234567892") == ("Chattogram", "Rangunia")
    assert _place(session, "1234567893") == ("Jashore", "Jessore Sadar")
    assert _place(session, "1234567894") == ("Bogura", "Bogra Sadar")
    assert _place(session, "1234567895") == ("Barisal", "Bakerganj")


def test_a_misspelt_upazila_is_a_bad_row_with_suggestions(session, write_csv):
    rows = [
        citizen_row(nid="1234567890", district="Rangpur", upazila="Pirgaxxa", household_id="H1"),
        citizen_row(nid="1234567891", district="Rangpur", upazila="Pirgachha", household_id="H2"),
    ]
    report = run_import(session, "citizens", write_csv("citizens", rows), today=TODAY)
    assert not report.committed and report.rows_written == 0
    [problem] = report.problems
    assert (problem.line, problem.column) == (2, "upazila")
    assert problem.reason.startswith("unknown upazila 'Pirgaxxa' in Rangpur (did you mean ")
    suggestions = problem.reason.split("did you mean ")[1].rstrip("?)").split(", ")
    assert "Pirgacha" in suggestions and len(suggestions) <= 3


def test_an_upazila_of_another_district_is_refused_not_moved(session, write_csv):
    # Pirgachha is in Rangpur; a Cumilla row naming it is wrong in one of its two columns.
    rows = [citizen_row(district="Cumilla", upazila="Pirgachha")]
    report = run_import(session, "citizens", write_csv("citizens", rows), today=TODAY)
    assert [(p.line, p.column) for p in report.problems] == [(2, "upazila")]


def test_a_misspelt_district_is_a_bad_row_with_suggestions(session, write_csv):
    report = run_import(
        session, "citizens", write_csv("citizens", [citizen_row(district="Kumilla Zilla")]), today=TODAY
    )
    [problem] = report.problems
    assert problem.column == "district" and "did you mean Cumilla" in problem.reason


def test_the_cli_report_shows_the_suggestions(cli, write_csv):
    path = write_csv("citizens", [citizen_row(district="Rangpur", upazila="Pirgaxxa")])
    result = cli.invoke(args=["registry", "import", "citizens", str(path)])
    assert result.exit_code != 0
    assert "line 2, column upazila: unknown upazila 'Pirgaxxa' in Rangpur (did you mean" in result.output
