"""Read services over the registry that every channel (USSD, SMS) calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from registry.masking import mask_account_number
from registry.models import (
    Citizen,
    Enrolment,
    EnrolmentStatus,
    ETokenWallet,
    Language,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Programme,
)


@dataclass(frozen=True)
class Caller:
    citizen_id: int
    language: str


def caller_by_mobile(session: Session, mobile: str) -> Caller | None:
    """Who is calling from this E.164 number (the earliest registered, if a household shares one)."""
    row = session.execute(
        select(Citizen.id, Citizen.language).where(Citizen.mobile == mobile).order_by(Citizen.id).limit(1)
    ).first()
    return Caller(row.id, row.language.value) if row else None


def citizen_by_nid_and_birth_year(session: Session, nid: str, birth_year: int) -> Citizen | None:
    """A look-up for helpers: the NID alone is not enough, the year of birth must match too."""
    citizen = session.scalars(
        select(Citizen)
        .where(Citizen.nid == nid)
        .options(joinedload(Citizen.household), joinedload(Citizen.district), selectinload(Citizen.enrolments))
    ).first()
    if citizen is None or citizen.date_of_birth.year != birth_year:
        return None
    return citizen


def set_language(session: Session, citizen_id: int, language: str) -> None:
    citizen = session.get(Citizen, citizen_id)
    if citizen is not None:
        citizen.language = Language(language)
        session.commit()


@dataclass(frozen=True)
class PaymentView:
    cycle: str
    amount_bdt: Decimal
    status: PaymentStatus
    channel: PaymentChannel | None
    paid_on: dt.date | None
    failure_reason: str | None


@dataclass(frozen=True)
class ProgrammePayments:
    programme_code: str
    channel: PaymentChannel | None
    masked_account: str | None
    last: PaymentView | None  # the latest payment that was attempted (not merely scheduled)
    next: PaymentView | None  # the next scheduled one


def payments_for(session: Session, citizen_id: int) -> list[ProgrammePayments]:
    """Per cash programme the citizen is enrolled in: the last and the next payment (two queries)."""
    enrolments = session.execute(
        select(Enrolment.programme_code, Enrolment.payment_channel, Enrolment.account_number)
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Enrolment.citizen_id == citizen_id, Programme.benefit_type == "cash")
        .where(Enrolment.status != EnrolmentStatus.EXITED)
        .order_by(Enrolment.programme_code)
    ).all()
    if not enrolments:
        return []
    payments = session.execute(
        select(
            Payment.programme_code,
            Payment.cycle,
            Payment.amount_bdt,
            Payment.status,
            Payment.channel,
            Payment.paid_on,
            Payment.failure_reason,
        )
        .where(Payment.citizen_id == citizen_id)
        .order_by(Payment.cycle.desc())
    ).all()
    result = []
    for code, channel, account in enrolments:
        own = [PaymentView(*row[1:]) for row in payments if row.programme_code == code]
        attempted = next((p for p in own if p.status is not PaymentStatus.SCHEDULED), None)
        scheduled = [p for p in own if p.status is PaymentStatus.SCHEDULED]
        upcoming = min(scheduled, key=lambda p: p.cycle) if scheduled else None
        result.append(ProgrammePayments(code, channel, mask_account_number(account), attempted, upcoming))
    return result


@dataclass(frozen=True)
class WalletView:
    programme_code: str
    name_en: str
    name_bn: str
    balance: Decimal
    unit: str
    expires_on: dt.date | None


def wallets_for(session: Session, citizen_id: int) -> list[WalletView]:
    rows = session.execute(
        select(ETokenWallet, Programme.name_en, Programme.name_bn)
        .join(Programme, Programme.code == ETokenWallet.programme_code)
        .where(ETokenWallet.citizen_id == citizen_id)
        .order_by(ETokenWallet.programme_code)
    ).all()
    return [WalletView(w.programme_code, en, bn, w.balance, w.unit, w.expires_on) for w, en, bn in rows]
