"""Redemption of e-tokens at an outlet, confirmed by the beneficiary: the one service behind
the outlet's USSD menu, its SMS commands and its JSON API.

The operator starts a redemption (who, how much, which programme); the beneficiary's phone
gets a 6-digit code, which proves they are at the outlet and agree; the operator enters it and
the wallet is debited. The beneficiary may instead confirm or refuse on their own phone.

Rules, each refused with a ``Reason``:
- the outlet serves the programme; the beneficiary is found by mobile (the earliest citizen
  with that phone, as every channel finds a caller) or by NID, and must hold a wallet of a
  programme the outlet serves; with several such wallets and no programme named, the
  operator is asked which (``programme_needed`` lists them);
- the quantity is positive, within the balance, and a whole number of the wallet's unit,
  except units measured in kg, which may be given in half kilograms (a dealer's scale weighs
  half kilos; nobody hands over 0.37 of a voucher);
- an operator never redeems their own wallet (their registered phone is the beneficiary's,
  or is the phone the beneficiary is found by);
- at most one redemption awaits its code per wallet (a partial unique index settles races);
- the code is kept only as an HMAC keyed by SECRET_KEY, lasts ten minutes, and three wrong
  tries cancel the redemption;
- the debit locks the redemption row, then the wallet row, re-checks the balance and writes
  one ledger entry (registry.etokens.redeem), so the balance equals its ledger always.

An outlet app's ``request_id`` makes a start idempotent: the same id from the same outlet
returns the same redemption and sends no second code (the beneficiary already has one; a
retrying app must not flood their phone). The same id with another quantity is refused.

Each function commits its own transaction (a lock must not outlive the decision) and tells
the registry's listeners (registry.events) inside it; notices records the SMS then.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from foundation.clock import as_utc, utcnow
from foundation.i18n import to_ascii_digits
from registry import etokens
from registry.events import Announcer, listeners
from registry.models import (
    Citizen,
    ETokenWallet,
    Outlet,
    OutletProgramme,
    Redemption,
    RedemptionChannel,
    RedemptionStatus,
)
from registry.services import caller_by_mobile
from registry.validation import InvalidValue, normalise_mobile, parse_nid

if TYPE_CHECKING:
    from registry.outlets import TokenOutlet

    # Only the outlet's id is read: the ORM row (USSD, SMS) or the API's authenticated outlet.
    AnOutlet = Outlet | TokenOutlet

CODE_VALID = dt.timedelta(minutes=10)
MAX_WRONG_CODES = 3
CODE_DIGITS = 6
# Bangladesh keeps no daylight saving: a redemption's day is UTC+6.
DHAKA = dt.timezone(dt.timedelta(hours=6))
HALF = Decimal("0.5")
MAX_QUANTITY = Decimal(99_999)
REQUEST_ID_MAX = 64
# Three wrong codes cancel one redemption, but a new one gives three more guesses: an outlet
# (or anyone at several) could go on guessing. Starts are refused for a while after too many
# wrong codes at one outlet in an hour, or two redemptions of one e-token cancelled in a day.
# A genuine outlet mistypes a code now and then, not ten times an hour.
OUTLET_WRONG_CODES_PER_HOUR = 10
WALLET_CANCELLED_PER_DAY = 2
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_QUANTITY = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


class Reason(enum.StrEnum):
    """Why a redemption was refused; the channels word each in the caller's language."""

    BAD_BENEFICIARY = "bad_beneficiary"  # neither a mobile number nor an NID
    NO_WALLET = "no_wallet"  # no such person, or no e-token of this outlet's programmes
    PROGRAMME_NOT_SERVED = "programme_not_served"
    PROGRAMME_NEEDED = "programme_needed"
    BAD_QUANTITY = "bad_quantity"
    OVER_BALANCE = "over_balance"
    WALLET_EXPIRED = "wallet_expired"
    OWN_WALLET = "own_wallet"
    PENDING_EXISTS = "pending_exists"
    BAD_REQUEST_ID = "bad_request_id"
    REQUEST_ID_REUSED = "request_id_reused"  # the same request_id for another person, programme or quantity
    PAUSED = "paused"  # too many wrong codes lately, at this outlet or on this e-token
    NOT_FOUND = "not_found"  # no such redemption for this outlet (or this citizen)
    WRONG_CODE = "wrong_code"
    CANCELLED = "cancelled"  # three wrong codes
    EXPIRED = "expired"
    FINISHED = "finished"  # completed or refused already


class Refused(Exception):
    def __init__(
        self, reason: Reason, *, programmes: tuple[str, ...] = (), tries_left: int | None = None, step: Decimal = HALF
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.programmes = programmes  # for PROGRAMME_NEEDED: the codes to choose from
        self.tries_left = tries_left  # for WRONG_CODE
        self.step = step  # for BAD_QUANTITY: the unit's step


@dataclass(frozen=True)
class Started:
    redemption: Redemption
    code: str | None  # None when a repeated request_id returned the earlier redemption
    created: bool = True


@dataclass(frozen=True)
class Confirmed:
    status: RedemptionStatus
    balance_left: Decimal
    unit: str
    tries_left: int = MAX_WRONG_CODES


@dataclass(frozen=True)
class DayTotal:
    programme_code: str
    unit: str
    redemptions: int
    quantity: Decimal


@dataclass
class _Context:
    announcer: Announcer = field(default_factory=lambda: Announcer(listeners() if has_app_context() else ()))


# --- codes -------------------------------------------------------------------------------


def _code_keys() -> list[bytes]:
    """SECRET_KEY first, then the fallbacks still accepted while a new key rolls out (a code
    issued a minute before the rotation must still work)."""
    config = current_app.config
    return [str(key).encode() for key in (config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", ()))]


def _code_hash(code: str, key: bytes) -> str:
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_matches(redemption: Redemption, code: str) -> bool:
    typed = to_ascii_digits((code or "").strip())
    if len(typed) != CODE_DIGITS or not typed.isascii() or not typed.isdigit():
        return False
    return any(hmac.compare_digest(_code_hash(typed, key), redemption.code_hash) for key in _code_keys())


# --- rules -------------------------------------------------------------------------------


def quantity_step(unit: str) -> Decimal:
    """Kilograms may be given in halves; every other unit (a voucher, a visit) is whole."""
    return HALF if unit.split()[:1] == ["kg"] else Decimal(1)


def parse_quantity(raw: object) -> Decimal:
    """A positive number typed by an operator ("30", "২.৫", 30); Refused(BAD_QUANTITY) otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise Refused(Reason.BAD_QUANTITY)
    typed = to_ascii_digits(str(raw).strip())
    # Decimal reads any script's digits ("١٠") and "1_0": only 0-9 (Bengali ones converted).
    if not _QUANTITY.fullmatch(typed):
        raise Refused(Reason.BAD_QUANTITY)
    try:
        value = Decimal(typed)
    except InvalidOperation:
        raise Refused(Reason.BAD_QUANTITY) from None
    if not value.is_finite() or value <= 0 or value > MAX_QUANTITY:
        raise Refused(Reason.BAD_QUANTITY)
    return value


def _find_citizen(session: Session, beneficiary: str) -> tuple[Citizen | None, str | None]:
    """(the citizen, the mobile they were found by). A number written as a phone is
    (+880…, 880 and 11 digits of 01…, 01… with 11 digits) is a mobile; anything else an NID,
    so that a 10-digit smart-card NID is never read as a phone without its leading 0."""
    text = re.sub(r"[\s\-().]", "", to_ascii_digits(beneficiary or ""))
    if re.fullmatch(r"(\+880|880)1\d{9}|01\d{9}", text):
        try:
            mobile = normalise_mobile(text)
        except InvalidValue:
            raise Refused(Reason.BAD_BENEFICIARY) from None
        caller = caller_by_mobile(session, mobile)
        return (session.get(Citizen, caller.citizen_id) if caller else None), mobile
    try:
        nid = parse_nid(text)
    except InvalidValue:
        raise Refused(Reason.BAD_BENEFICIARY) from None
    return session.scalars(select(Citizen).where(Citizen.nid == nid)).first(), None


def outlet_programmes(session: Session, outlet: AnOutlet) -> list[str]:
    return list(
        session.scalars(
            select(OutletProgramme.programme_code)
            .where(OutletProgramme.outlet_id == outlet.id)
            .order_by(OutletProgramme.programme_code)
        )
    )


def _choose_wallet(session: Session, outlet: AnOutlet, citizen: Citizen | None, programme: str | None) -> ETokenWallet:
    served = outlet_programmes(session, outlet)
    code = None
    if programme:
        code = next((each for each in served if each.lower() == programme.strip().lower()), None)
        if code is None:
            raise Refused(Reason.PROGRAMME_NOT_SERVED, programmes=tuple(served))
    if citizen is None:
        raise Refused(Reason.NO_WALLET)
    wallets = list(
        session.scalars(
            select(ETokenWallet)
            .where(ETokenWallet.citizen_id == citizen.id, ETokenWallet.programme_code.in_([code] if code else served))
            .order_by(ETokenWallet.programme_code)
        )
    )
    if not wallets:
        raise Refused(Reason.NO_WALLET)
    if len(wallets) > 1:
        raise Refused(Reason.PROGRAMME_NEEDED, programmes=tuple(w.programme_code for w in wallets))
    return wallets[0]


def _check_quantity(wallet: ETokenWallet, quantity: Decimal) -> None:
    step = quantity_step(wallet.unit)
    if quantity <= 0 or quantity % step != 0:
        raise Refused(Reason.BAD_QUANTITY, step=step)
    if quantity > wallet.balance:
        raise Refused(Reason.OVER_BALANCE)


def _check_wallet_valid(wallet: ETokenWallet, now: dt.datetime) -> None:
    if wallet.expires_on is not None and wallet.expires_on < as_utc(now).astimezone(DHAKA).date():
        raise Refused(Reason.WALLET_EXPIRED)


def _expire_stale(session: Session, now: dt.datetime, *conditions) -> int:
    result = session.execute(
        update(Redemption)
        .where(Redemption.status == RedemptionStatus.AWAITING_CODE, Redemption.code_expires_at <= now, *conditions)
        .values(status=RedemptionStatus.EXPIRED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- starting ----------------------------------------------------------------------------


def start(
    session: Session,
    outlet: AnOutlet,
    operator_mobile: str,
    beneficiary: str,
    quantity: Decimal,
    programme: str | None,
    channel: RedemptionChannel,
    request_id: str | None = None,
    now: dt.datetime | None = None,
) -> Started:
    """Start a redemption and have its code sent to the beneficiary; commits."""
    now = now or utcnow()
    context = _Context()
    if request_id is not None and not _REQUEST_ID.fullmatch(request_id):
        raise Refused(Reason.BAD_REQUEST_ID)
    try:
        earlier = _by_request_id(session, outlet, request_id) if request_id is not None else None
        citizen, found_by = _find_citizen(session, beneficiary)
        if earlier is not None:
            # The same request again: the same person, programme and quantity, or a mistake the
            # app must hear of (answering with the earlier redemption would tell it a second
            # person had been sent a code).
            same = (
                earlier.quantity == quantity
                and citizen is not None
                and citizen.id == earlier.citizen_id
                # Named as _choose_wallet reads a programme: case and spaces aside, blank is none.
                and (not (programme or "").strip() or programme.strip().lower() == earlier.programme_code.lower())
            )
            if not same:
                raise Refused(Reason.REQUEST_ID_REUSED)
            _expire_if_due(session, earlier, now)
            session.commit()
            return Started(earlier, None, created=False)
        wallet = _choose_wallet(session, outlet, citizen, programme)
        assert citizen is not None
        if _operators_own(operator_mobile, citizen, found_by):
            raise Refused(Reason.OWN_WALLET)
        _check_wallet_valid(wallet, now)
        _check_quantity(wallet, quantity)
        _check_not_guessing(session, outlet.id, wallet.id, now)
        # A code whose ten minutes passed no longer holds the wallet.
        _expire_stale(session, now, Redemption.wallet_id == wallet.id)
        code = new_code()
        redemption = Redemption(
            outlet_id=outlet.id,
            wallet_id=wallet.id,
            citizen_id=citizen.id,
            programme_code=wallet.programme_code,
            quantity=quantity,
            unit=wallet.unit,
            operator_mobile=operator_mobile,
            channel=channel,
            request_id=request_id,
            status=RedemptionStatus.AWAITING_CODE,
            code_hash=_code_hash(code, _code_keys()[0]),
            code_expires_at=now + CODE_VALID,
            wrong_codes=0,
            started_at=now,
        )
        session.add(redemption)
        session.flush()
    except Refused:
        session.rollback()
        raise
    except IntegrityError:
        # Another start won the race: for the same request_id (return it) or the same wallet.
        session.rollback()
        if request_id is not None and (earlier := _by_request_id(session, outlet, request_id)) is not None:
            session.commit()
            return Started(earlier, None, created=False)
        raise Refused(Reason.PENDING_EXISTS) from None
    except BaseException:
        session.rollback()
        raise
    context.announcer.redemption_started(session, redemption.id, code)
    session.commit()
    context.announcer.redemption_committed()
    return Started(redemption, code)


def wallet_to_redeem(
    session: Session,
    outlet: AnOutlet,
    operator_mobile: str,
    beneficiary: str,
    programme: str | None,
    now: dt.datetime | None = None,
) -> ETokenWallet:
    """The wallet ``start`` would redeem from, refused as ``start`` refuses it, without starting
    anything: for a channel that asks the quantity after the person (a USSD screen shows the
    wallet's unit, and asks for the programme first when there are several)."""
    citizen, found_by = _find_citizen(session, beneficiary)
    wallet = _choose_wallet(session, outlet, citizen, programme)
    assert citizen is not None
    if _operators_own(operator_mobile, citizen, found_by):
        raise Refused(Reason.OWN_WALLET)
    _check_wallet_valid(wallet, now or utcnow())
    return wallet


# Both counts in one round trip, built once (every start asks).
_GUESSING = select(
    select(func.coalesce(func.sum(Redemption.wrong_codes), 0))
    .where(Redemption.outlet_id == bindparam("outlet_id"), Redemption.started_at > bindparam("hour_ago"))
    .scalar_subquery(),
    select(func.count())
    .where(
        Redemption.wallet_id == bindparam("wallet_id"),
        Redemption.status == RedemptionStatus.CANCELLED,
        Redemption.started_at > bindparam("day_ago"),
    )
    .scalar_subquery(),
)


def _check_not_guessing(session: Session, outlet_id: int, wallet_id: int, now: dt.datetime) -> None:
    wrong_here, cancelled = (
        session.connection()
        .execute(
            _GUESSING,
            {
                "outlet_id": outlet_id,
                "wallet_id": wallet_id,
                "hour_ago": now - dt.timedelta(hours=1),
                "day_ago": now - dt.timedelta(days=1),
            },
        )
        .one()
    )
    if wrong_here >= OUTLET_WRONG_CODES_PER_HOUR or cancelled >= WALLET_CANCELLED_PER_DAY:
        raise Refused(Reason.PAUSED)


def _by_request_id(session: Session, outlet: AnOutlet, request_id: str) -> Redemption | None:
    return session.scalars(
        select(Redemption).where(Redemption.outlet_id == outlet.id, Redemption.request_id == request_id)
    ).first()


def _operators_own(operator_mobile: str, citizen: Citizen, found_by: str | None) -> bool:
    """Whether the wallet is the operator's own: their registered phone is the beneficiary's,
    or is the phone the beneficiary was found by. (The citizen a phone finds is one whose
    mobile it is, so the operator's phone finds this citizen only if it is their mobile:
    no look-up of the operator is needed.)"""
    return operator_mobile in (citizen.mobile, found_by)


def _expire_if_due(session: Session, redemption: Redemption, now: dt.datetime) -> bool:
    if redemption.status is RedemptionStatus.AWAITING_CODE and as_utc(redemption.code_expires_at) <= as_utc(now):
        redemption.status = RedemptionStatus.EXPIRED
        redemption.finished_at = now
        session.flush()
        return True
    return False


# --- finishing ---------------------------------------------------------------------------


def _locked(session: Session, redemption_id: int, *where) -> Redemption | None:
    return session.scalars(
        select(Redemption)
        .where(Redemption.id == redemption_id, *where)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _locked_wallet(session: Session, wallet_id: int) -> ETokenWallet:
    wallet = session.scalars(
        select(ETokenWallet)
        .where(ETokenWallet.id == wallet_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return wallet


def _debit(session: Session, redemption: Redemption, now: dt.datetime, context: _Context) -> ETokenWallet:
    wallet = _locked_wallet(session, redemption.wallet_id)
    if redemption.quantity > wallet.balance:
        # The balance fell since the start (an import lowered it): nothing is handed over.
        redemption.status = RedemptionStatus.CANCELLED
        redemption.finished_at = now
        session.commit()
        raise Refused(Reason.OVER_BALANCE)
    etokens.redeem(
        session,
        wallet,
        redemption.quantity,
        outlet_id=redemption.outlet_id,
        operator_mobile=redemption.operator_mobile,
        redemption_id=redemption.id,
    )
    redemption.status = RedemptionStatus.COMPLETED
    redemption.finished_at = now
    session.flush()
    context.announcer.redemption_completed(session, redemption.id)
    return wallet


def _refuse_finished(session: Session, redemption: Redemption) -> None:
    session.commit()
    if redemption.status is RedemptionStatus.CANCELLED:
        raise Refused(Reason.CANCELLED, tries_left=0)
    if redemption.status is RedemptionStatus.EXPIRED:
        raise Refused(Reason.EXPIRED)
    raise Refused(Reason.FINISHED)


def confirm_code(
    session: Session, outlet: AnOutlet, redemption_id: int, code: str, now: dt.datetime | None = None
) -> Confirmed:
    """The operator enters the beneficiary's code; commits. The right code for a redemption
    already completed answers as the first time did (an app retrying a lost answer), and
    never debits twice."""
    now = now or utcnow()
    context = _Context()
    try:
        redemption = _locked(session, redemption_id, Redemption.outlet_id == outlet.id)
        if redemption is None:
            raise Refused(Reason.NOT_FOUND)
        _expire_if_due(session, redemption, now)
        if redemption.status is RedemptionStatus.COMPLETED and code_matches(redemption, code):
            wallet = session.get(ETokenWallet, redemption.wallet_id, populate_existing=True)
            assert wallet is not None
            session.commit()
            return Confirmed(redemption.status, wallet.balance, wallet.unit, MAX_WRONG_CODES - redemption.wrong_codes)
        if redemption.status is not RedemptionStatus.AWAITING_CODE:
            _refuse_finished(session, redemption)
        if not code_matches(redemption, code):
            redemption.wrong_codes += 1
            tries_left = MAX_WRONG_CODES - redemption.wrong_codes
            if tries_left <= 0:
                redemption.status = RedemptionStatus.CANCELLED
                redemption.finished_at = now
            session.commit()
            if tries_left <= 0:
                raise Refused(Reason.CANCELLED, tries_left=0)
            raise Refused(Reason.WRONG_CODE, tries_left=tries_left)
        wallet = _debit(session, redemption, now, context)
        balance, unit, tries_left = wallet.balance, wallet.unit, MAX_WRONG_CODES - redemption.wrong_codes
        session.commit()
    except BaseException:
        session.rollback()
        raise
    context.announcer.redemption_committed()
    return Confirmed(RedemptionStatus.COMPLETED, balance, unit, tries_left)


def decide_as_beneficiary(
    session: Session, citizen_id: int, redemption_id: int, accept: bool, now: dt.datetime | None = None
) -> Confirmed:
    """The beneficiary answers on their own phone: yes completes the redemption (their
    phone is the proof a code would be), no refuses it; commits."""
    now = now or utcnow()
    context = _Context()
    try:
        redemption = _locked(session, redemption_id, Redemption.citizen_id == citizen_id)
        if redemption is None:
            raise Refused(Reason.NOT_FOUND)
        _expire_if_due(session, redemption, now)
        if redemption.status is not RedemptionStatus.AWAITING_CODE:
            _refuse_finished(session, redemption)
        if accept:
            wallet = _debit(session, redemption, now, context)
            balance = wallet.balance
        else:
            redemption.status = RedemptionStatus.REFUSED
            redemption.finished_at = now
            wallet = session.get(ETokenWallet, redemption.wallet_id)
            assert wallet is not None
            balance = wallet.balance
        status, unit = redemption.status, wallet.unit
        session.commit()
    except BaseException:
        session.rollback()
        raise
    context.announcer.redemption_committed()
    return Confirmed(status, balance, unit)


# --- reading -----------------------------------------------------------------------------


def get_for_outlet(
    session: Session, outlet: AnOutlet, redemption_id: int, now: dt.datetime | None = None
) -> Redemption:
    """A redemption of this outlet (another outlet's is NOT_FOUND, as a missing one is)."""
    redemption = session.scalars(
        select(Redemption).where(Redemption.id == redemption_id, Redemption.outlet_id == outlet.id)
    ).first()
    if redemption is None:
        raise Refused(Reason.NOT_FOUND)
    if _expire_if_due(session, redemption, now or utcnow()):
        session.commit()
    return redemption


def _awaiting(now: dt.datetime):
    return and_(Redemption.status == RedemptionStatus.AWAITING_CODE, Redemption.code_expires_at > now)


def pending_for_citizen(session: Session, citizen_id: int, now: dt.datetime | None = None) -> list[Redemption]:
    """What awaits this beneficiary's answer (the first screen when they dial)."""
    return list(
        session.scalars(
            select(Redemption)
            .where(Redemption.citizen_id == citizen_id, _awaiting(now or utcnow()))
            .order_by(Redemption.started_at)
        )
    )


def pending_for_outlet(session: Session, outlet: AnOutlet, now: dt.datetime | None = None) -> list[Redemption]:
    return list(
        session.scalars(
            select(Redemption)
            .where(Redemption.outlet_id == outlet.id, _awaiting(now or utcnow()))
            .order_by(Redemption.started_at)
        )
    )


def dhaka_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The Dhaka calendar day around ``now``, as UTC instants [start, end)."""
    day = as_utc(now).astimezone(DHAKA).date()
    begins = dt.datetime.combine(day, dt.time(0), DHAKA).astimezone(dt.UTC)
    return begins, begins + dt.timedelta(days=1)


def today_totals(session: Session, outlet: AnOutlet, now: dt.datetime | None = None) -> list[DayTotal]:
    """Completed redemptions of this outlet on today's Dhaka date, per programme and unit."""
    begins, ends = dhaka_day_bounds(now or utcnow())
    rows = session.execute(
        select(Redemption.programme_code, Redemption.unit, func.count(), func.sum(Redemption.quantity))
        .where(
            Redemption.outlet_id == outlet.id,
            Redemption.status == RedemptionStatus.COMPLETED,
            Redemption.finished_at >= begins,
            Redemption.finished_at < ends,
        )
        .group_by(Redemption.programme_code, Redemption.unit)
        .order_by(Redemption.programme_code)
    )
    return [DayTotal(code, unit, count, Decimal(total)) for code, unit, count, total in rows]


def expire_due(session: Session, now: dt.datetime | None = None) -> int:
    """Mark every code whose ten minutes passed expired (for the scheduler); commits."""
    expired = _expire_stale(session, now or utcnow())
    session.commit()
    return expired


def expire_codes_job() -> int:
    """The scheduler's sweep: codes are also checked on use, this keeps the pending lists true."""
    from foundation.db import transaction
    from foundation.jobs import with_app_context

    @with_app_context
    def run() -> int:
        with transaction() as session:
            return expire_due(session)

    return run()
