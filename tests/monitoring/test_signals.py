import datetime as dt

from monitoring.signals import SIGNALS, Settings, drill_down_outlet, mask_name, rows
from tests.factories import AS_OF, make_citizen, make_enrolment, make_household
from tests.monitoring.conftest import dhaka, make_outlet, make_redemption


def test_every_signal_says_what_it_finds():
    for signal in SIGNALS.values():
        assert len(signal.description) > 40, signal.name


def test_drill_downs_mask_identifiers(session):
    people = [make_citizen(session, rescore=False, household=make_household(session)) for _ in range(3)]
    for person in people:
        make_enrolment(session, person, "OAA", account_number="01712345678")
    columns, stream = rows(session, "shared_account_members", Settings(as_of=AS_OF))
    listed = list(stream)
    assert {"nid", "account"} <= set(columns)
    assert {row["account"] for row in listed} == {"**5678"}
    assert all(row["nid"].startswith("*") and row["nid"][-3:] in {p.nid[-3:] for p in people} for row in listed)
    assert not any(p.nid in str(row) for p in people for row in listed)


def test_the_outlet_drill_down_masks_the_beneficiary(session):
    outlet = make_outlet(session)
    redemption = make_redemption(session, outlet, dhaka(2026, 11, 2, 10))
    [row] = drill_down_outlet(session, outlet.code)
    assert row["redemption_id"] == redemption.id
    assert "*" in row["nid"] and "*" in row["mobile"]


def test_names_are_shown_as_initials():
    assert (mask_name("Rahima Begum"), mask_name("রহিমা বেগম")) == ("R. B.", "র. ব.")


def test_every_signal_runs_on_an_empty_registry(session):
    for name in SIGNALS:
        columns, stream = rows(session, name, Settings(as_of=dt.date(2026, 11, 1)))
        assert columns and list(stream) == []
