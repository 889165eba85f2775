"""What the registry knows of the citizen behind a complaint, as the office working it reads it.

One call, a fixed number of queries whatever the citizen's history: the person (NID masked),
their place, enrolments, the last few payments, e-token wallets and the last few
redemptions. Names (places, programmes, outlets) are in the reader's language; statuses,
channels and units stay values for the reader's page to label.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.masking import mask_account_number, mask_nid
from registry.models import (
    Citizen,
    Enrolment,
    EnrolmentStatus,
    ETokenWallet,
    Outlet,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Programme,
    Redemption,
    RedemptionChannel,
    RedemptionStatus,
)
from registry.places import place_index

LAST_PAYMENTS = 5
LAST_REDEMPTIONS = 5
# A person is in a handful of programmes; the bound only keeps a bad import from filling the page.
MOST_ENROLMENTS = 20
MOST_WALLETS = 20


@dataclass(frozen=True)
class EnrolmentFact:
    programme: str  # the programme's name in the reader's language
    status: EnrolmentStatus
    enrolled_on: dt.date
    channel: PaymentChannel | None
    masked_account: str | None


@dataclass(frozen=True)
class PaymentFact:
    programme: str
    cycle: str  # YYYY-MM
    amount_bdt: Decimal
    status: PaymentStatus
    channel: PaymentChannel | None
    paid_on: dt.date | None
    failure_reason: str | None


@dataclass(frozen=True)
class WalletFact:
    programme: str
    balance: Decimal
    unit: str  # as imported ("kg rice"): registry.labels.unit_label words it
    expires_on: dt.date | None


@dataclass(frozen=True)
class RedemptionFact:
    outlet: str
    programme: str
    quantity: Decimal
    unit: str
    status: RedemptionStatus
    channel: RedemptionChannel
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class CaseFacts:
    name_en: str
    name_bn: str
    masked_nid: str
    upazila: str  # "" when the seed data has no such place
    district: str
    enrolments: list[EnrolmentFact]
    payments: list[PaymentFact]  # newest first, at most LAST_PAYMENTS
    wallets: list[WalletFact]
    redemptions: list[RedemptionFact]  # newest first, at most LAST_REDEMPTIONS


def _named(locale: str, name_en: str, name_bn: str) -> str:
    """Bangla script shows the Bangla name; English and romanized Bangla the English one."""
    return name_bn if locale == "bn" and name_bn else name_en


def _place_name(locale: str, level: str, place_id: int) -> str:
    place = place_index().places.get((level, place_id))
    return _named(locale, place.name_en, place.name_bn) if place else ""


def case_facts(session: Session, citizen_id: int, locale: str) -> CaseFacts | None:
    """The registry's facts about ``citizen_id`` in ``locale``, or None if no such person."""
    person = session.execute(
        select(Citizen.name_en, Citizen.name_bn, Citizen.nid, Citizen.district_id, Citizen.upazila_id).where(
            Citizen.id == citizen_id
        )
    ).first()
    if person is None:
        return None
    name_en, name_bn, nid, district_id, upazila_id = person
    return CaseFacts(
        name_en=name_en,
        name_bn=name_bn,
        masked_nid=mask_nid(nid) or "",
        upazila=_place_name(locale, "upazila", upazila_id),
        district=_place_name(locale, "district", district_id),
        enrolments=_enrolments(session, citizen_id, locale),
        payments=_payments(session, citizen_id, locale),
        wallets=_wallets(session, citizen_id, locale),
        redemptions=_redemptions(session, citizen_id, locale),
    )


def _enrolments(session: Session, citizen_id: int, locale: str) -> list[EnrolmentFact]:
    rows = session.execute(
        select(
            Programme.name_en,
            Programme.name_bn,
            Enrolment.status,
            Enrolment.enrolled_on,
            Enrolment.payment_channel,
            Enrolment.account_number,
        )
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Enrolment.citizen_id == citizen_id)
        .order_by(Programme.position, Programme.code)
        .limit(MOST_ENROLMENTS)
    )
    return [
        EnrolmentFact(_named(locale, en, bn), status, enrolled_on, channel, mask_account_number(account))
        for en, bn, status, enrolled_on, channel, account in rows
    ]


def _payments(session: Session, citizen_id: int, locale: str) -> list[PaymentFact]:
    rows = session.execute(
        select(
            Programme.name_en,
            Programme.name_bn,
            Payment.cycle,
            Payment.amount_bdt,
            Payment.status,
            Payment.channel,
            Payment.paid_on,
            Payment.failure_reason,
        )
        .join(Programme, Programme.code == Payment.programme_code)
        .where(Payment.citizen_id == citizen_id)
        .order_by(Payment.cycle.desc(), Payment.id.desc())
        .limit(LAST_PAYMENTS)
    )
    return [PaymentFact(_named(locale, en, bn), *rest) for en, bn, *rest in rows]


def _wallets(session: Session, citizen_id: int, locale: str) -> list[WalletFact]:
    rows = session.execute(
        select(Programme.name_en, Programme.name_bn, ETokenWallet.balance, ETokenWallet.unit, ETokenWallet.expires_on)
        .join(Programme, Programme.code == ETokenWallet.programme_code)
        .where(ETokenWallet.citizen_id == citizen_id)
        .order_by(Programme.position, Programme.code)
        .limit(MOST_WALLETS)
    )
    return [WalletFact(_named(locale, en, bn), *rest) for en, bn, *rest in rows]


def _redemptions(session: Session, citizen_id: int, locale: str) -> list[RedemptionFact]:
    rows = session.execute(
        select(
            Outlet.name_en,
            Outlet.name_bn,
            Programme.name_en,
            Programme.name_bn,
            Redemption.quantity,
            Redemption.unit,
            Redemption.status,
            Redemption.channel,
            Redemption.started_at,
            Redemption.finished_at,
        )
        .join(Outlet, Outlet.id == Redemption.outlet_id)
        .join(Programme, Programme.code == Redemption.programme_code)
        .where(Redemption.citizen_id == citizen_id)
        .order_by(Redemption.started_at.desc(), Redemption.id.desc())
        .limit(LAST_REDEMPTIONS)
    )
    return [
        RedemptionFact(_named(locale, outlet_en, outlet_bn), _named(locale, en, bn), *rest)
        for outlet_en, outlet_bn, en, bn, *rest in rows
    ]


def programme_name(session: Session, code: str | None, locale: str) -> str:
    """A programme's full name in ``locale`` (its code if the registry has no such programme)."""
    if not code:
        return ""
    names = session.execute(select(Programme.name_en, Programme.name_bn).where(Programme.code == code)).first()
    return _named(locale, *names) if names else code
