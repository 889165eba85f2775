"""A ministry's file spells places its own way: BBS names, older English, Bangla, geo-codes."""

import datetime as dt

import pytest
from sqlalchemy import select

from registry.imports import run_import
from registry.imports.lookups import Lookups
from registry.models import Citizen, District, Upazila
from registry.places import place_index, seed_aliases
from registry.validation import InvalidValue
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


def _lookups():
    return Lookups(place_index(), {})


def _district_name(place_id):
    return place_index().places[("district", place_id)].name_en


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("19", ["our code for Naogaon", "BBS code of Cumilla", "BD2019"]),
        ("04", ["our code for Rangamati", "BBS code of Barguna", "BD1004"]),
        ("০৪", ["our code for Rangamati", "BBS code of Barguna"]),
        ("26", ["our code for Magura", "BBS code of Dhaka", "BD3026"]),
        ("1", ["our code for Cumilla", "BBS code of Bagerhat"]),
        ("93", ["BBS code of Tangail", "BD3093"]),
        ("02", ["Feni is written 2"]),
        ("০২", ["Feni is written 2"]),
        ("99", ["unknown district code '99'"]),
    ],
)
def test_a_bare_number_that_could_be_a_bbs_code_is_refused_not_guessed(raw, says):
    with pytest.raises(InvalidValue) as refused:
        _lookups().district(raw)
    for words in says:
        assert words in str(refused.value), (raw, str(refused.value))


def test_our_code_as_we_write_it_and_geo_codes_still_resolve():
    lookups = _lookups()
    assert _district_name(lookups.district("2")) == "Feni"  # no BBS district is 02
    assert _district_name(lookups.district(" 2 ")) == "Feni"
    assert _district_name(lookups.district("BD2019")) == "Cumilla"
    assert _district_name(lookups.district("BD1004")) == "Barguna"


def test_no_bare_number_resolves_to_a_district_whose_bbs_number_it_is_not():
    """Every number from 0 to 99, in every way a file writes it: either refused, or our id
    of a district that no other district has as BBS number."""
    lookups = _lookups()
    bbs = {n: i for n, (i, _code) in lookups.bbs_numbers[("district", 0)].items()}
    for number in range(100):
        for raw in {str(number), f"{number:02d}", str(number).translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))}:
            try:
                found = lookups.district(raw)
            except InvalidValue:
                continue
            assert raw == str(number) and found == number and bbs.get(number, number) == number, raw


def test_an_upazila_number_is_ours_only_as_we_write_it():
    lookups = _lookups()
    rangpur = lookups.district("Rangpur")
    with pytest.raises(InvalidValue, match="BBS code of Pirgacha; write its geo-code BD55850073"):
        lookups.upazila("73", rangpur)
    cumilla = lookups.district("Cumilla")
    assert lookups.upazila("1", cumilla) == 1
    for padded in ("01", "০১"):
        with pytest.raises(InvalidValue, match="written 1"):
            lookups.upazila(padded, cumilla)


def test_every_upazila_is_found_without_its_district_by_district_and_name_or_geo_code():
    """Written as "District/Upazila" or by geo-code, every upazila comes back as itself. By its
    name alone it does too, or is refused with itself among the candidates: never another."""
    lookups = _lookups()
    refused_names = set()
    for upazila in (p for p in place_index().places.values() if p.level == "upazila"):
        written = lookups.district_and_upazila(upazila.id)
        assert lookups.upazila_anywhere(written) == upazila.id
        try:
            assert lookups.upazila_anywhere(upazila.name_en) == upazila.id, written
        except InvalidValue as refused:
            assert "is ambiguous" in str(refused) and written in str(refused), str(refused)
            refused_names.add(upazila.name_en)
    # Names two districts' upazilas share, by spelling (Daulatpur/Doulatpur, Pirganj/Pirgonj)
    # or with a district's Sadar (Faridpur upazila of Pabna, Sherpur of Bogura).
    assert sorted(refused_names) == [
        "Companiganj",
        "Daulatpur",
        "Doulatpur",
        "Durgapur",
        "Faridpur",
        "Fulbari",
        "Kachua",
        "Kaliganj",
        "Kawkhali",
        "Lohagara",
        "Nawabganj",
        "Phulbari",
        "Pirganj",
        "Pirgonj",
        "Sherpur",
        "Shibganj",
        "Sreepur",
    ]
    geocodes = [(a.id, a.alias) for a in seed_aliases() if a.level == "upazila" and a.kind == "geocode"]
    assert len(geocodes) > 400
    for upazila_id, geocode in geocodes:
        assert lookups.upazila_anywhere(geocode) == upazila_id, geocode


def test_an_upazila_without_its_district_refuses_what_it_cannot_place():
    lookups = _lookups()
    for raw, says in [
        (
            "Kaliganj",
            "4 districts have one (Satkhira/Kaliganj, Jhenaidah/Kaliganj, Gazipur/Kaliganj, Lalmonirhat/Kaliganj)",
        ),
        ("Pirgaxxa", "unknown upazila 'Pirgaxxa' (did you mean Rangpur/Pirgacha"),
        ("BD99990000", "unknown upazila geo-code 'BD99990000'"),
        ("9999", "unknown upazila code '9999'"),
        ("০১", "the code of Cumilla/Debidwar is written 1"),
        ("Atlantis/Sadar", "unknown district 'Atlantis'"),
    ]:
        with pytest.raises(InvalidValue) as refused:
            lookups.upazila_anywhere(raw)
        assert says in str(refused.value), (raw, str(refused.value))
