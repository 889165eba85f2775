from monitoring.accounts import shared_account_members, shared_accounts
from registry.models import EnrolmentStatus
from tests.factories import make_citizen, make_enrolment, make_household


def _paid_into(session, account, household=None, **fields):
    citizen = make_citizen(session, rescore=False, household=household or make_household(session))
    make_enrolment(session, citizen, "OAA", account_number=account, **fields)
    return citizen


def test_one_wallet_paid_for_three_households_is_flagged(session):
    for written in ("01712345678", "+8801712345678", "0171-234-5678"):
        _paid_into(session, written)
    rows = session.execute(shared_accounts()).mappings().all()
    assert [(r.account, r.households, r.people) for r in rows] == [("01712345678", 3, 3)]
    members = session.execute(shared_account_members()).mappings().all()
    assert len(members) == 3


def test_two_households_sharing_a_wallet_are_not_flagged(session):
    _paid_into(session, "01712345678")
    _paid_into(session, "01712345678")
    assert session.execute(shared_accounts()).all() == []


def test_one_household_s_members_on_one_wallet_are_one_household(session):
    family = make_household(session)
    for _ in range(3):
        _paid_into(session, "01712345678", household=family)
    _paid_into(session, "01712345678")
    assert session.execute(shared_accounts()).all() == []


def test_an_exited_enrolment_no_longer_counts(session):
    _paid_into(session, "01712345678")
    _paid_into(session, "01712345678")
    _paid_into(session, "01712345678", status=EnrolmentStatus.EXITED)
    assert session.execute(shared_accounts()).all() == []
