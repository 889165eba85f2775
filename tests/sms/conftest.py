import datetime as dt
from decimal import Decimal

import pytest

from registry.etokens import post_entry
from registry.models import PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_payment, make_wallet


@pytest.fixture
def caller_with_money(session):
    """A registered OAA beneficiary with a credited payment, a scheduled one, and FFP rice."""
    citizen = make_citizen(session, age=70, mobile="+8801712345678")
    make_enrolment(session, citizen, "OAA")
    make_payment(session, citizen, "OAA", cycle="2026-10", status=PaymentStatus.CREDITED)
    make_payment(session, citizen, "OAA", cycle="2026-11", status=PaymentStatus.SCHEDULED, txn_id=None, paid_on=None)
    make_enrolment(session, citizen, "FFP")
    post_entry(session, make_wallet(session, citizen, "FFP", expires_on=dt.date(2026, 12, 31)), Decimal(30), "credit")
    session.commit()
    return citizen
