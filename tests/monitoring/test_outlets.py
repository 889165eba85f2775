from grievance.intake import file_grievance
from monitoring.outlets import BurstRule, outlet_redemptions, outlet_signals
from registry.models import RedemptionStatus
from tests.factories import make_citizen, make_filing
from tests.monitoring.conftest import dhaka, make_outlet, make_redemption, other_upazila


def _row(session, outlet, burst=None):
    rows = {r.outlet: r for r in session.execute(outlet_signals(burst or BurstRule())).mappings()}
    return rows[outlet.code]


def test_counts_completed_redemptions_and_their_volume(session):
    outlet = make_outlet(session)
    for minute in (0, 30):
        make_redemption(session, outlet, dhaka(2026, 11, 2, 10, minute))
    make_redemption(session, outlet, dhaka(2026, 11, 2, 11), status=RedemptionStatus.REFUSED)
    row = _row(session, outlet)
    assert (row.redemptions, float(row.volume), row.unit) == (2, 60.0, "kg rice")


def test_an_outlet_without_redemptions_still_has_a_row(session):
    outlet = make_outlet(session)
    row = _row(session, outlet)
    assert (row.redemptions, row.unit, row.disputed_share) == (0, "", None)


def test_night_is_22_00_to_05_59_dhaka_time(session):
    outlet = make_outlet(session)
    for hour, minute in ((22, 0), (5, 59), (2, 0)):  # night
        make_redemption(session, outlet, dhaka(2026, 11, 2, hour, minute))
    for hour, minute in ((6, 0), (21, 59), (12, 0)):  # near misses: day
        make_redemption(session, outlet, dhaka(2026, 11, 2, hour, minute))
    assert _row(session, outlet).night == 3


def test_beneficiaries_from_another_upazila(session):
    outlet = make_outlet(session)
    stranger = make_citizen(session, rescore=False, upazila_id=other_upazila(session, outlet.upazila_id))
    make_redemption(session, outlet, dhaka(2026, 11, 2, 10), citizen=stranger)
    make_redemption(session, outlet, dhaka(2026, 11, 2, 11))  # near miss: a neighbour
    assert _row(session, outlet).outside_upazila == 1


def test_failed_codes_and_cancelled_redemptions(session):
    outlet = make_outlet(session)
    make_redemption(session, outlet, dhaka(2026, 11, 2, 10), status=RedemptionStatus.CANCELLED, wrong_codes=3)
    make_redemption(session, outlet, dhaka(2026, 11, 2, 11), wrong_codes=1)
    make_redemption(session, outlet, dhaka(2026, 11, 2, 12))  # near miss: right first time
    row = _row(session, outlet)
    assert (row.wrong_codes, row.cancelled, row.redemptions) == (4, 1, 2)


def test_disputed_share_counts_redemptions_complained_about(session, no_dispatch):
    outlet = make_outlet(session)
    disputed = make_redemption(session, outlet, dhaka(2026, 11, 2, 10))
    for hour in (11, 12, 13):  # near misses: nobody complained
        make_redemption(session, outlet, dhaka(2026, 11, 2, hour))
    filed = file_grievance(session, make_filing(text="e-token taken without me"))
    filed.grievance.redemption_id = disputed.id
    session.commit()
    row = _row(session, outlet)
    assert (row.disputed, row.disputed_share) == (1, 0.25)


def test_a_burst_is_n_redemptions_within_the_window(session):
    busy, steady = make_outlet(session), make_outlet(session)
    for minute in range(0, 9, 2):  # 5 in 8 minutes
        make_redemption(session, busy, dhaka(2026, 11, 2, 10, minute))
    for minute in range(0, 13, 3):  # near miss: 5 in 12 minutes
        make_redemption(session, steady, dhaka(2026, 11, 2, 10, minute))
    rule = BurstRule(count=5, minutes=10)
    assert (_row(session, busy, rule).bursts, _row(session, steady, rule).bursts) == (1, 0)


def test_the_drill_down_lists_each_redemption_with_its_flags(session):
    outlet = make_outlet(session)
    make_redemption(session, outlet, dhaka(2026, 11, 2, 23))
    make_redemption(session, outlet, dhaka(2026, 11, 2, 9))
    rows = session.execute(outlet_redemptions(outlet.code)).mappings().all()
    assert [bool(r.night) for r in rows] == [True, False]
