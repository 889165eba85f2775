"""Read services over the registry that every channel (USSD, SMS) calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, bindparam, exists, literal_column, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from foundation.db import connection_of
from foundation.hot_select import HotSelect
from foundation.masking import mask_account_number
from registry.models import (
    Citizen,
    Enrolment,
    EnrolmentStatus,
    ETokenWallet,
    Language,
    Outlet,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Programme,
    Redemption,
    RedemptionStatus,
)
from registry.schedules import ExpectedPayment, PaymentSchedule, expected_payment, parse_schedule


@dataclass(frozen=True)
class Caller:
    citizen_id: int
    language: str


# The statements behind every USSD hop and SMS command are built once and run on the driver's
# cursor (foundation.hot_select): SQLAlchemy's execution costs more CPU than PostgreSQL spends
# answering them.
_CALLER_BY_MOBILE = HotSelect(
    select(Citizen.id, Citizen.language).where(Citizen.mobile == bindparam("mobile")).order_by(Citizen.id).limit(1),
    "mobile",
)


def caller_by_mobile(db: Session | Connection, mobile: str) -> Caller | None:
    """Who is calling from this E.164 number (the earliest registered, if a household shares one)."""
    row = _CALLER_BY_MOBILE.first(connection_of(db), mobile=mobile)
    return Caller(row[0], row[1].value) if row else None


@dataclass(frozen=True)
class Dialler:
    """Who dials the USSD code: the citizen (if registered), the outlet whose operator's
    phone this is, and whether a redemption of theirs awaits its code."""

    caller: Caller | None
    outlet_id: int | None  # the lowest id when one phone runs several outlets
    redemption_waiting: bool  # may be one whose code expired unswept: the screen checks


# Every dial asks all three in the one round trip the caller's look-up already took: the
# caller as a LEFT JOIN on a one-row select (so an operator who is no registered citizen still
# gets a row), the operator's outlet and a waiting redemption as sub-selects on indexed
# columns. Expiry is left to the screen that shows the redemption (codes expire unswept for
# at most the scheduler's interval), so the dial's statement needs no clock.
_ONE_ROW = select(literal_column("1").label("one")).subquery("dial")
_CALLER = (
    select(Citizen.id, Citizen.language)
    .where(Citizen.mobile == bindparam("mobile"))
    .order_by(Citizen.id)
    .limit(1)
    .subquery("caller")
)
_DIALLER = HotSelect(
    select(
        _CALLER.c.id,
        _CALLER.c.language,
        select(Outlet.id)
        .where(Outlet.operator_mobile == bindparam("mobile"))
        .order_by(Outlet.id)
        .limit(1)
        .scalar_subquery(),
        exists().where(Redemption.citizen_id == _CALLER.c.id, Redemption.status == RedemptionStatus.AWAITING_CODE),
    ).select_from(_ONE_ROW.outerjoin(_CALLER, true())),
    "mobile",
)


def dialler_by_mobile(db: Session | Connection, mobile: str) -> Dialler:
    """The USSD dial's one look-up: ``caller_by_mobile`` with the outlet and redemption facts."""
    citizen_id, language, outlet_id, waiting = _DIALLER.rows(connection_of(db), mobile=mobile)[0]
    caller = Caller(citizen_id, language.value) if citizen_id is not None else None
    return Dialler(caller, outlet_id, bool(waiting) and caller is not None)


def citizen_by_nid_and_date_of_birth(session: Session, nid: str, date_of_birth: dt.date) -> Citizen | None:
    """A look-up for helpers: the NID and the full date of birth must both match (a 17-digit
    NID begins with the year of birth, so the year alone would be no second factor)."""
    return session.scalars(
        select(Citizen)
        .where(Citizen.nid == nid, Citizen.date_of_birth == date_of_birth)
        .options(joinedload(Citizen.household), joinedload(Citizen.district), selectinload(Citizen.enrolments))
    ).first()


def citizen_id_by_nid_and_date_of_birth(db: Session | Connection, nid: str, date_of_birth: dt.date) -> int | None:
    """The same look-up as ``citizen_by_nid_and_date_of_birth``, for a screen that needs only
    whom it found (one Core select instead of the person with household and enrolments)."""
    statement = (
        select(Citizen.id)
        .where(Citizen.nid == nid, Citizen.date_of_birth == date_of_birth)
        .order_by(Citizen.id)
        .limit(1)
    )
    return connection_of(db).execute(statement).scalar()


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
    # When nothing is scheduled: the month the schedule pays in next (None for a suspended
    # enrolment, or a programme with no month to promise).
    expected: ExpectedPayment | None = None


# Each cash enrolment with its programme's schedule and its payments, newest first, in one
# round trip (an enrolment without payments comes back once, with NULL payment columns).
_PAYMENTS_FOR = HotSelect(
    select(
        Enrolment.programme_code,
        Enrolment.payment_channel,
        Enrolment.account_number,
        Enrolment.status,
        Programme.payment_frequency,
        Programme.payment_months,
        Programme.amount_bdt,
        Programme.unit,
        Payment.cycle,
        Payment.amount_bdt,
        Payment.status,
        Payment.channel,
        Payment.paid_on,
        Payment.failure_reason,
    )
    .join(Programme, Programme.code == Enrolment.programme_code)
    .outerjoin(
        Payment,
        (Payment.citizen_id == Enrolment.citizen_id) & (Payment.programme_code == Enrolment.programme_code),
    )
    .where(Enrolment.citizen_id == bindparam("citizen_id"), Programme.benefit_type == "cash")
    .where(Enrolment.status != EnrolmentStatus.EXITED)
    .order_by(Enrolment.programme_code, Payment.cycle.desc()),
    "citizen_id",
)


@dataclass
class _Enrolled:
    channel: PaymentChannel | None
    account: str | None
    status: EnrolmentStatus
    schedule: PaymentSchedule
    rate_bdt: Decimal | None
    unit: str | None
    payments: list[PaymentView]


def payments_for(db: Session | Connection, citizen_id: int, today: dt.date | None = None) -> list[ProgrammePayments]:
    """Per cash programme the citizen is enrolled in: the last and the next payment, or when
    none is scheduled, the one the programme's schedule expects after ``today``."""
    today = today or dt.date.today()
    by_programme: dict[str, _Enrolled] = {}
    rows = _PAYMENTS_FOR.rows(connection_of(db), citizen_id=citizen_id)
    for code, channel, account, status, frequency, months, rate, unit, cycle, *payment in rows:
        enrolled = by_programme.get(code)
        if enrolled is None:
            schedule = parse_schedule(frequency, months)
            enrolled = by_programme[code] = _Enrolled(channel, account, status, schedule, rate, unit, [])
        if cycle is not None:
            enrolled.payments.append(PaymentView(cycle, *payment))
    result = []
    for code, enrolled in by_programme.items():
        own = enrolled.payments
        attempted = next((p for p in own if p.status is not PaymentStatus.SCHEDULED), None)
        scheduled = [p for p in own if p.status is PaymentStatus.SCHEDULED]
        upcoming = min(scheduled, key=lambda p: p.cycle) if scheduled else None
        expected = None if upcoming else _expected(enrolled, attempted, today)
        account = mask_account_number(enrolled.account)
        result.append(ProgrammePayments(code, enrolled.channel, account, attempted, upcoming, expected))
    return result


def _expected(enrolled: _Enrolled, last: PaymentView | None, today: dt.date) -> ExpectedPayment | None:
    if enrolled.status is EnrolmentStatus.SUSPENDED:
        return None  # a suspended enrolment is paid nothing until the office lifts it
    return expected_payment(enrolled.schedule, enrolled.rate_bdt, enrolled.unit, today, last.cycle if last else None)


@dataclass(frozen=True)
class WalletView:
    programme_code: str
    name_en: str
    name_bn: str
    balance: Decimal
    unit: str
    expires_on: dt.date | None


_WALLETS_FOR = HotSelect(
    select(
        ETokenWallet.programme_code,
        Programme.name_en,
        Programme.name_bn,
        ETokenWallet.balance,
        ETokenWallet.unit,
        ETokenWallet.expires_on,
    )
    .join(Programme, Programme.code == ETokenWallet.programme_code)
    .where(ETokenWallet.citizen_id == bindparam("citizen_id"))
    .order_by(ETokenWallet.programme_code),
    "citizen_id",
)


def wallets_for(db: Session | Connection, citizen_id: int) -> list[WalletView]:
    return [WalletView(*row) for row in _WALLETS_FOR.rows(connection_of(db), citizen_id=citizen_id)]
