"""Outlets and funded wallets for the redemption tests (service, API, SMS, concurrency)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import func, select

from registry.etokens import post_entry
from registry.models import ETokenLedgerEntry, ETokenWallet, Outlet, OutletKind, OutletProgramme
from tests.factories import make_citizen, make_wallet, place

_serial = itertools.count(1)
OPERATOR = "+8801911000001"


def make_outlet(session, programmes=("FFP", "VGF"), operator_mobile: str | None = None, **fields) -> Outlet:
    n = next(_serial)
    district_id, upazila_id = place(session)
    outlet = Outlet(
        code=f"TEST-{n}",
        name_en=fields.pop("name_en", f"Karim Rice Dealer {n}"),
        name_bn=fields.pop("name_bn", "করিম চাল ডিলার"),
        kind=OutletKind.FOOD_DEALER,
        district_id=district_id,
        upazila_id=upazila_id,
        operator_mobile=operator_mobile or f"+8801911{n:06d}",
        **fields,
    )
    session.add(outlet)
    session.flush()
    for code in programmes:
        session.add(OutletProgramme(outlet_id=outlet.id, programme_code=code))
    session.commit()  # the service commits or rolls back its own transaction
    return outlet


def funded_wallet(session, citizen, programme: str = "FFP", balance: str = "30", unit: str = "kg rice"):
    """A wallet credited through the ledger, so balance == sum(ledger) from the start."""
    wallet = make_wallet(session, citizen, programme, unit=unit, balance=Decimal(0))
    post_entry(session, wallet, Decimal(balance), "import")
    session.commit()
    return wallet


def beneficiary(session, balance: str = "30", **fields):
    citizen = make_citizen(session, **fields)
    return citizen, funded_wallet(session, citizen, balance=balance)


def balance_matches_ledger(session, wallet_id: int) -> bool:
    """In one statement, so one snapshot: two reads could straddle another outlet's commit."""
    ledger = (
        select(func.coalesce(func.sum(ETokenLedgerEntry.amount), 0))
        .where(ETokenLedgerEntry.wallet_id == wallet_id)
        .scalar_subquery()
    )
    balance, total = session.execute(select(ETokenWallet.balance, ledger).where(ETokenWallet.id == wallet_id)).one()
    return Decimal(balance) == Decimal(total)
