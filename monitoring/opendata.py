"""District-level aggregates of the signals for open data, for the open-data code to publish.

Small counts are suppressed as complaints are (staff/opendata/publish.py): a cell under
``suppress_below`` is None, and no totals are given, only cells that no equation over the
published ones can solve for (each redemption or answer is in exactly one cell of its
column, and the columns published are not parts of one another's complements: completed
and disputed redemptions, confirmed and denied payments, but never "answered" beside them).
The caller passes its own threshold so the rule stays in one place."""

from __future__ import annotations

from sqlalchemy import Select, case, func, literal, select, union_all

from grievance.models import Grievance
from registry.models import (
    Citizen,
    District,
    Outlet,
    Payment,
    PaymentConfirmation,
    Redemption,
    RedemptionStatus,
)


def _suppressed(count, below: int):
    return case((count >= below, count), else_=None)


def district_aggregates(suppress_below: int) -> Select:
    """Per district (of the outlet for redemptions, of the beneficiary for payments):
    ``redemptions``, ``disputed``, ``confirmed``, ``denied``, each None when under
    ``suppress_below``."""
    if suppress_below < 1:
        raise ValueError("suppress_below must be at least 1")
    disputed = select(Grievance.redemption_id).where(Grievance.redemption_id.is_not(None)).distinct().subquery()
    done = Redemption.status == RedemptionStatus.COMPLETED
    redeemed = (
        select(
            Outlet.district_id.label("district_id"),
            case((done, 1), else_=0).label("redemptions"),
            case((done & disputed.c.redemption_id.is_not(None), 1), else_=0).label("disputed"),
            literal(0).label("confirmed"),
            literal(0).label("denied"),
        )
        .join(Outlet, Outlet.id == Redemption.outlet_id)
        .outerjoin(disputed, disputed.c.redemption_id == Redemption.id)
    )
    answered = (
        select(
            Citizen.district_id.label("district_id"),
            literal(0).label("redemptions"),
            literal(0).label("disputed"),
            case((PaymentConfirmation.received.is_(True), 1), else_=0).label("confirmed"),
            case((PaymentConfirmation.received.is_(False), 1), else_=0).label("denied"),
        )
        .join(Payment, Payment.id == PaymentConfirmation.payment_id)
        .join(Citizen, Citizen.id == Payment.citizen_id)
    )
    cells = union_all(redeemed, answered).subquery("cells")
    sums = {name: func.sum(cells.c[name]) for name in ("redemptions", "disputed", "confirmed", "denied")}
    return (
        select(
            District.name_en.label("district"),
            *(_suppressed(total, suppress_below).label(name) for name, total in sums.items()),
        )
        .join(District, District.id == cells.c.district_id)
        .group_by(District.name_en)
        .order_by(District.name_en)
    )
