import csv
import datetime as dt

from sqlalchemy import func, select, update

from registry.imports import run_import
from registry.models import Citizen, Household, Language, MaritalStatus
from tests.registry.conftest import citizen_row, snapshot

TODAY = dt.date(2026, 11, 1)


def test_good_file_imports_citizens_and_households(session, write_csv):
    path = write_csv(
        "citizens",
        [
            citizen_row(),
            citizen_row(
                nid="1234567890",
                name_en="Karim Mia",
                name_bn="করিম মিয়া",
                gender="M",
                date_of_birth="1955-01-01",
                mobile="+880 1812-345678",
                marital_status="married",
                upazila="2",
                language="EN",
            ),
        ],
    )
    report = run_import(session, "citizens", path, today=TODAY)
    assert report.committed and report.rows_written == 2 and report.problems == []
    rahima = session.scalar(select(Citizen).where(Citizen.nid == "1958123456789"))
    assert rahima.mobile == "+8801712345678"
    assert rahima.marital_status is MaritalStatus.WIDOWED
    assert rahima.upazila.name_en == "Debidwar" and rahima.district.name_en == "Cumilla"
    karim = session.scalar(select(Citizen).where(Citizen.nid == "1234567890"))
    assert karim.mobile == "+8801812345678" and karim.language is Language.ENGLISH
    assert karim.household_id == rahima.household_id
    household = session.get(Household, rahima.household_id)
    # Both members are elderly and Rahima is a widow: the breakdown says so.
    assert household.vulnerability_breakdown["elderly_member"]["points"] == 10
    assert household.vulnerability_breakdown["woman_without_spouse"]["points"] == 10
    assert household.vulnerability_score == sum(i["points"] for i in household.vulnerability_breakdown.values())


def test_district_and_upazila_by_name_case_insensitive_or_code(session, write_csv):
    path = write_csv(
        "citizens",
        [
            citizen_row(district="cUMILLA", upazila="DEBIDWAR"),
            citizen_row(nid="1234567891", district="Cumilla", upazila="1"),
            # 2 is Feni here and no BBS district's number (1 is, Bagerhat's: see test_place_names)
            citizen_row(nid="1234567892", district="2", upazila="Feni Sadar"),
        ],
    )
    report = run_import(session, "citizens", path, today=TODAY)
    assert report.committed, report.problems
    assert set(session.scalars(select(Citizen.district_id))) == {1, 2}
    assert {1} < set(session.scalars(select(Citizen.upazila_id)))


def test_bad_rows_are_reported_with_line_and_column_and_nothing_is_written(session, write_csv):
    path = write_csv(
        "citizens",
        [
            citizen_row(),  # line 2: good
            citizen_row(nid="12345", household_id="H2"),  # line 3: bad NID
            citizen_row(nid="1234567890", mobile="01212345678", household_id="H3"),  # line 4: bad mobile
            citizen_row(nid="1234567891", upazila="Savar", household_id="H4"),  # line 5: Savar is not in Cumilla
            citizen_row(nid="1234567892", date_of_birth="01/03/1958", household_id="H5"),  # line 6
            citizen_row(nid="1958123456789"),  # line 7: repeats line 2
        ],
    )
    report = run_import(session, "citizens", path, today=TODAY)
    assert not report.committed and report.rows_written == 0
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "nid"),
        (4, "mobile"),
        (5, "upazila"),
        (6, "date_of_birth"),
        (7, "nid"),
    ]
    assert "10, 13 or 17 digits" in report.problems[0].reason
    assert "repeats line 2" in report.problems[4].reason
    assert session.scalar(select(func.count()).select_from(Citizen)) == 0
    assert session.scalar(select(func.count()).select_from(Household)) == 0


def test_bad_row_after_many_good_batches_still_writes_nothing(session, write_csv):
    rows = [citizen_row(nid=f"{1_000_000_000 + i}", household_id=f"H{i}") for i in range(25)]
    rows.append(citizen_row(nid="1000009999", gender="Q", household_id="HX"))
    report = run_import(session, "citizens", write_csv("citizens", rows), batch_size=10, today=TODAY)
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [(27, "gender")]
    assert session.scalar(select(func.count()).select_from(Citizen)) == 0


def test_skip_bad_imports_good_rows_and_writes_rejects(session, write_csv, tmp_path):
    path = write_csv(
        "citizens",
        [
            citizen_row(),
            citizen_row(nid="12345", household_id="H2"),
            citizen_row(nid="1234567890", household_id="H3"),
        ],
    )
    rejects = tmp_path / "rejects.csv"
    report = run_import(session, "citizens", path, skip_bad=True, reject_path=rejects, today=TODAY)
    assert report.committed and report.rows_written == 2
    assert set(session.scalars(select(Citizen.nid))) == {"1958123456789", "1234567890"}
    with open(rejects, encoding="utf-8", newline="") as handle:
        [rejected] = list(csv.DictReader(handle))
    assert rejected["nid"] == "12345" and rejected["household_id"] == "H2"
    assert (rejected["_line"], rejected["_column"]) == ("3", "nid")
    assert rejected["_reason"] == "NID must have 10, 13 or 17 digits, not 5"


def test_household_with_conflicting_facts_is_a_bad_row(session, write_csv):
    path = write_csv("citizens", [citizen_row(), citizen_row(nid="1234567890", household_size="7")])
    report = run_import(session, "citizens", path, today=TODAY)
    assert [(p.line, p.column) for p in report.problems] == [(3, "household_id")]


def test_missing_columns_refuse_the_file(session, write_csv):
    import pytest

    from registry.imports.runner import ImportFileError

    path = write_csv("citizens", [citizen_row()], columns=[c for c in citizen_row() if c != "mobile"])
    with pytest.raises(ImportFileError, match="missing columns mobile"):
        run_import(session, "citizens", path, today=TODAY)


def test_extra_columns_are_ignored(session, write_csv):
    row = citizen_row(remarks="note")
    path = write_csv("citizens", [row], columns=[*row])
    assert run_import(session, "citizens", path, today=TODAY).committed


def test_importing_the_same_file_twice_changes_nothing(session, write_csv):
    path = write_csv("citizens", [citizen_row(), citizen_row(nid="1234567890", gender="M", marital_status="married")])
    assert run_import(session, "citizens", path, today=TODAY).committed
    before = snapshot(session, Citizen, Household)
    report = run_import(session, "citizens", path, today=TODAY)
    assert report.committed and report.problems == []
    assert snapshot(session, Citizen, Household) == before


def test_reimport_updates_a_changed_citizen_in_place(session, write_csv):
    assert run_import(session, "citizens", write_csv("citizens", [citizen_row()]), today=TODAY).committed
    first_id = session.scalar(select(Citizen.id))
    changed = write_csv("citizens", [citizen_row(mobile="01912345678", household_id="H9")], name="changed.csv")
    assert run_import(session, "citizens", changed, today=TODAY).committed
    citizen = session.scalar(select(Citizen))
    assert (citizen.id, citizen.mobile) == (first_id, "+8801912345678")
    assert citizen.household.external_id == "H9"
    # The household she left is empty now and scored again without her.
    old = session.scalar(select(Household).where(Household.external_id == "H1"))
    assert old.vulnerability_breakdown["woman_without_spouse"]["points"] == 0


def _score(session, external_id):
    session.expire_all()
    return session.scalar(select(Household.vulnerability_breakdown).where(Household.external_id == external_id))


def test_reimport_rescores_the_households_it_changes_and_only_those(session, write_csv):
    rows = [citizen_row(), citizen_row(nid="1234567890", household_id="H2", gender="M", marital_status="married")]
    assert run_import(session, "citizens", write_csv("citizens", rows), today=TODAY).committed
    # Stand-in for a score nobody should recompute: H2's data will not change.
    session.execute(update(Household).where(Household.external_id == "H2").values(vulnerability_breakdown={}))
    session.commit()

    rows[0] = citizen_row(disability="1")  # a member's fact changed: H1 is rescored
    assert run_import(session, "citizens", write_csv("citizens", rows, name="two.csv"), today=TODAY).committed
    assert _score(session, "H1")["member_with_disability"]["points"] == 15
    assert _score(session, "H2") == {}

    rows[1] = {**rows[1], "monthly_income_bdt": "400"}  # the household's own row changed: H2 is rescored
    assert run_import(session, "citizens", write_csv("citizens", rows, name="three.csv"), today=TODAY).committed
    assert _score(session, "H2")["per_capita_income"] == {"value": 100, "points": 35, "max": 35}
