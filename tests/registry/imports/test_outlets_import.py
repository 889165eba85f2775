"""The outlets import: food dealers and clinics with the e-token programmes they serve."""

from sqlalchemy import select

from registry.imports import run_import
from registry.models import Outlet, OutletKind, OutletProgramme
from tests.registry.conftest import snapshot


def outlet(**changes):
    row = {
        "code": "FD-0001",
        "name_en": "Karim Rice Dealer",
        "name_bn": "করিম চাল ডিলার",
        "kind": "food_dealer",
        "programmes": "FFP;VGF",
        "district": "Cumilla",
        "upazila": "Debidwar",
        "operator_mobile": "01711 000111",
    }
    return {**row, **changes}


def programmes_of(session, code):
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.code == code))
    rows = select(OutletProgramme.programme_code).where(OutletProgramme.outlet_id == outlet_id)
    return sorted(session.scalars(rows))


def test_a_good_file_imports_outlets_with_their_programmes(session, write_csv):
    clinic = outlet(
        code="cl-7", name_en="Debidwar UHC", kind="clinic", programmes="MHV", operator_mobile="+8801811000222"
    )
    report = run_import(session, "outlets", write_csv("outlets", [outlet(), clinic]))
    assert report.committed and report.rows_written == 2
    dealer = session.scalars(select(Outlet).where(Outlet.code == "FD-0001")).one()
    assert (dealer.kind, dealer.operator_mobile, dealer.upazila.name_en) == (
        OutletKind.FOOD_DEALER,
        "+8801711000111",
        "Debidwar",
    )
    assert dealer.upazila.district_id == dealer.district_id
    assert programmes_of(session, "FD-0001") == ["FFP", "VGF"]
    assert programmes_of(session, "CL-7") == ["MHV"]


def test_each_bad_column_is_reported_with_its_line_and_nothing_is_written(session, write_csv):
    rows = [
        outlet(),
        outlet(code="", name_en="x"),
        outlet(code="FD-2", kind="pharmacy"),
        outlet(code="FD-3", programmes="OAA"),  # a cash allowance, not an e-token
        outlet(code="FD-4", programmes="FFP;NOPE"),
        outlet(code="FD-5", upazila="Pirgachha"),  # an upazila of Rangpur, not Cumilla
        outlet(code="FD-6", district="Atlantis"),
        outlet(code="FD-7", operator_mobile="12345"),
        outlet(code="FD-8", name_bn=""),
        outlet(),  # the same code again
    ]
    report = run_import(session, "outlets", write_csv("outlets", rows))
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "code"),
        (4, "kind"),
        (5, "programmes"),
        (6, "programmes"),
        (7, "upazila"),
        (8, "district"),
        (9, "operator_mobile"),
        (10, "name_bn"),
        (11, "code"),
    ]
    assert "not an e-token programme: OAA" in report.problems[2].reason
    assert session.scalars(select(Outlet)).all() == []


def test_skip_bad_imports_the_good_rows(session, write_csv):
    path = write_csv("outlets", [outlet(), outlet(code="FD-3", programmes="OAA")])
    report = run_import(session, "outlets", path, skip_bad=True)
    assert report.committed and report.rows_written == 1 and report.reject_path.exists()
    assert [o.code for o in session.scalars(select(Outlet))] == ["FD-0001"]


def test_the_same_file_twice_gives_the_same_rows_and_a_changed_list_replaces_the_programmes(session, write_csv):
    path = write_csv("outlets", [outlet(), outlet(code="FD-2", programmes="VGF")])
    run_import(session, "outlets", path)
    before = snapshot(session, Outlet, OutletProgramme)
    run_import(session, "outlets", path)
    assert snapshot(session, Outlet, OutletProgramme) == before

    dealer = session.scalars(select(Outlet).where(Outlet.code == "FD-0001")).one()
    dealer.token_hash = "a" * 64
    session.commit()
    changed = write_csv("outlets", [outlet(programmes="VWB;FFP", name_en="Karim Store")], "v2.csv")
    run_import(session, "outlets", changed)
    assert programmes_of(session, "FD-0001") == ["FFP", "VWB"]
    session.expire_all()
    dealer = session.scalars(select(Outlet).where(Outlet.code == "FD-0001")).one()
    assert (dealer.name_en, dealer.token_hash) == ("Karim Store", "a" * 64)  # the issued token survives
    assert programmes_of(session, "FD-2") == ["VGF"]


def test_a_new_operator_revokes_the_token_the_old_one_was_issued(session, write_csv):
    run_import(session, "outlets", write_csv("outlets", [outlet(), outlet(code="FD-2")]))
    for dealer in session.scalars(select(Outlet)):
        dealer.token_hash = dealer.code.ljust(64, "x")
    session.commit()
    handed_over = [outlet(operator_mobile="01711 000999"), outlet(code="FD-2")]
    run_import(session, "outlets", write_csv("outlets", handed_over, "v2.csv"))
    session.expire_all()
    tokens = dict(session.execute(select(Outlet.code, Outlet.token_hash)).all())
    # The dismissed dealer's app stops; the unchanged outlet's keeps working.
    assert tokens == {"FD-0001": None, "FD-2": "FD-2".ljust(64, "x")}
