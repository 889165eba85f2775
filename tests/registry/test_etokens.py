from decimal import Decimal

import pytest

from registry.etokens import ledger_sum, post_entry, set_balances
from registry.models import ETokenLedgerEntry
from tests.factories import make_citizen, make_wallet


def test_entries_move_the_balance_and_the_ledger_together(session):
    wallet = make_wallet(session, make_citizen(session))
    post_entry(session, wallet, Decimal(30), "credit")
    post_entry(session, wallet, Decimal(-10), "redeem")
    assert wallet.balance == Decimal(20) == ledger_sum(session, wallet.id)


def test_balance_cannot_go_below_zero(session):
    wallet = make_wallet(session, make_citizen(session))
    post_entry(session, wallet, Decimal(5), "credit")
    with pytest.raises(ValueError, match="below zero"):
        post_entry(session, wallet, Decimal(-6), "redeem")
    assert wallet.balance == Decimal(5) == ledger_sum(session, wallet.id)


def test_set_balances_writes_only_differences(session):
    citizen = make_citizen(session)
    first, second = make_wallet(session, citizen, "FFP"), make_wallet(session, citizen, "VGF")
    targets = [(first.id, Decimal(0), Decimal(30)), (second.id, Decimal(0), Decimal(0))]
    [(entry_id, amount)] = set_balances(session, targets, "import")
    session.expire_all()
    assert amount == Decimal(30) and session.get(ETokenLedgerEntry, entry_id).wallet_id == first.id
    assert (first.balance, ledger_sum(session, first.id)) == (Decimal(30), Decimal(30))
    assert (second.balance, ledger_sum(session, second.id)) == (Decimal(0), Decimal(0))
