import datetime as dt

from grievance.intake import file_grievance
from monitoring.opendata import district_aggregates
from registry.models import PaymentConfirmation
from tests.factories import make_citizen, make_filing, make_payment
from tests.monitoring.conftest import dhaka, make_outlet, make_redemption

SUPPRESS_BELOW = 5


def test_district_counts_under_the_threshold_are_suppressed(session, no_dispatch):
    outlet = make_outlet(session, district="Cumilla")
    made = [make_redemption(session, outlet, dhaka(2026, 11, 2, 8, minute)) for minute in range(6)]
    filed = file_grievance(session, make_filing(text="e-token taken without me"))
    filed.grievance.redemption_id = made[0].id
    for received in (True,) * 5 + (False,) * 2:
        payment = make_payment(session, make_citizen(session, rescore=False, district="Kurigram"))
        asked = dt.datetime(2026, 10, 13, tzinfo=dt.UTC)
        session.add(PaymentConfirmation(payment_id=payment.id, asked_at=asked, received=received))
    session.flush()
    rows = {r.district: r for r in session.execute(district_aggregates(SUPPRESS_BELOW)).mappings()}
    assert (rows["Cumilla"].redemptions, rows["Cumilla"].disputed) == (6, None)
    assert (rows["Kurigram"].confirmed, rows["Kurigram"].denied, rows["Kurigram"].redemptions) == (5, None, None)
