import datetime as dt

from monitoring.confirmations import Grouping, confirmation_rates
from registry.models import PaymentChannel, PaymentConfirmation
from tests.factories import make_citizen, make_enrolment, make_payment

ASKED = dt.datetime(2026, 10, 13, 4, 0, tzinfo=dt.UTC)


def _asked(session, received, channel=PaymentChannel.NAGAD, district="Cumilla", account="01711111111"):
    citizen = make_citizen(session, rescore=False, district=district)
    make_enrolment(session, citizen, "OAA", payment_channel=channel, account_number=account)
    payment = make_payment(session, citizen, "OAA", channel=channel)
    session.add(PaymentConfirmation(payment_id=payment.id, asked_at=ASKED, received=received))
    session.flush()


def _rows(session, by, key):
    return {getattr(r, key): r for r in session.execute(confirmation_rates(by)).mappings()}


def test_denial_and_confirmation_rates_per_channel_count_only_answers(session):
    for received in (False, False, True, None):
        _asked(session, received, PaymentChannel.BKASH)
    _asked(session, True, PaymentChannel.NAGAD)  # near miss: a channel whose payments arrive
    rows = _rows(session, Grouping.CHANNEL, "channel")
    bkash, nagad = rows[PaymentChannel.BKASH], rows[PaymentChannel.NAGAD]
    assert (bkash.asked, bkash.answered, bkash.denied, round(bkash.denial_rate, 3)) == (4, 3, 2, 0.667)
    assert (nagad.denial_rate, nagad.confirmation_rate) == (0.0, 1.0)


def test_rates_per_district(session):
    _asked(session, False, district="Kurigram")
    _asked(session, True, district="Cumilla")
    rows = _rows(session, Grouping.DISTRICT, "district")
    assert (rows["Kurigram"].denial_rate, rows["Cumilla"].denial_rate) == (1.0, 0.0)


def test_rates_per_paying_account_meet_however_the_number_is_written(session):
    _asked(session, False, account="+880 1712-345678")
    _asked(session, False, account="01712345678")
    _asked(session, True, account="01799999999")  # near miss: another account
    rows = _rows(session, Grouping.ACCOUNT, "account")
    assert (rows["01712345678"].denied, rows["01799999999"].denied) == (2, 0)
