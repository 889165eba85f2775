"""Rows the signals read that no code writes yet (outlets, redemptions, confirmations):
the tests insert them directly, and empty them after each test before the suite's own
clean-up (which would trip over their foreign keys)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from grievance.models import Grievance, GrievanceEvent, OutboxEntry
from registry.models import (
    ETokenLedgerEntry,
    Outlet,
    OutletKind,
    OutletProgramme,
    PaymentConfirmation,
    Redemption,
    RedemptionChannel,
    RedemptionStatus,
    Upazila,
)
from tests.factories import make_citizen, make_wallet, place

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def monitoring_tables(session):
    yield
    session.rollback()
    session.execute(update(ETokenLedgerEntry).values(redemption_id=None, outlet_id=None))
    for model in (GrievanceEvent, OutboxEntry, Grievance, PaymentConfirmation, Redemption, OutletProgramme, Outlet):
        session.execute(delete(model))
    session.commit()


def other_upazila(session, upazila_id: int) -> int:
    return session.scalar(select(Upazila.id).where(Upazila.id != upazila_id).order_by(Upazila.id))


def make_outlet(session, district: str = "Cumilla", **fields: Any) -> Outlet:
    n = next(_serial)
    district_id, upazila_id = place(session, district)
    values: dict[str, Any] = {
        "code": f"OUT{n:04d}",
        "name_en": f"Dealer {n}",
        "name_bn": "ডিলার",
        "kind": OutletKind.FOOD_DEALER,
        "district_id": district_id,
        "upazila_id": upazila_id,
        "operator_mobile": f"+88019{n:08d}",
    }
    outlet = Outlet(**{**values, **fields})
    session.add(outlet)
    session.flush()
    return outlet


def make_redemption(session, outlet: Outlet, at: dt.datetime, citizen=None, **fields: Any) -> Redemption:
    """A completed redemption handed over at ``at`` (aware UTC) for a new beneficiary of the
    outlet's own upazila unless ``citizen`` is given."""
    citizen = citizen or make_citizen(session, rescore=False)
    wallet = make_wallet(session, citizen, "FFP")
    values: dict[str, Any] = {
        "outlet_id": outlet.id,
        "wallet_id": wallet.id,
        "citizen_id": citizen.id,
        "programme_code": "FFP",
        "quantity": Decimal(30),
        "unit": "kg rice",
        "operator_mobile": outlet.operator_mobile,
        "channel": RedemptionChannel.API,
        "status": RedemptionStatus.COMPLETED,
        "code_hash": "0" * 64,
        "code_expires_at": at + dt.timedelta(minutes=10),
        "started_at": at - dt.timedelta(minutes=1),
        "finished_at": at,
    }
    redemption = Redemption(**{**values, **fields})
    session.add(redemption)
    session.flush()
    return redemption


def dhaka(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Dhaka wall-clock time as the aware UTC moment the database stores."""
    local = dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=6)))
    return local.astimezone(dt.UTC)
