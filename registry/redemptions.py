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
  one ledger entry (registry.etokens: ``redemption_debit`` in the same statement as the
  completion on PostgreSQL, ``debit_for_redemption`` elsewhere), so the balance equals its
  ledger always.

An outlet app's ``request_id`` makes a start idempotent: the same id from the same outlet
returns the same redemption and sends no second code (the beneficiary already has one; a
retrying app must not flood their phone). The same id with another quantity is refused.

Each function commits its own transaction (a lock must not outlive the decision) and tells
the registry's listeners (registry.events) inside it; notices records the SMS then.

On PostgreSQL, with nothing begun on the caller's session (an outlet app's call), a start and
a confirm are each one read and one statement on the autocommit connection, the listeners'
writes carried in it (foundation.write_parts): see ``_START`` and ``_confirm_as_read``. A
confirm whose statement finds the redemption or the balance changed since its read writes
nothing and goes the careful way (lock, decide, commit).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import (
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from foundation.clock import as_utc, utcnow
from foundation.db import autocommit_connection, connection_of, is_lost_connection
from foundation.hot_select import HotSelect, HotStatement
from foundation.i18n import to_ascii_digits
from foundation.write_parts import Carrier
from registry import etokens
from registry.events import Announcer, RedemptionNotice, listeners
from registry.models import (
    Citizen,
    ETokenWallet,
    Language,
    Outlet,
    OutletProgramme,
    Redemption,
    RedemptionChannel,
    RedemptionStatus,
)
from registry.outlets import PresentedToken, TokenOutlet
from registry.validation import InvalidValue, normalise_mobile, parse_nid

if TYPE_CHECKING:
    from collections.abc import Callable

    # Its id and names are read: the ORM row (USSD, SMS) or the API's authenticated outlet.
    AnOutlet = Outlet | TokenOutlet
    # A start or confirm may instead be given the token an API call presented: its first
    # statement checks it (registry.outlets.PresentedToken).
    Caller = AnOutlet | PresentedToken

log = logging.getLogger(__name__)
_T = TypeVar("_T")

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
class Inserted:
    """A redemption as its start inserted it: what the channels read of it, without an ORM
    copy (whose instrumentation cost a start more than its insert's own Python)."""

    id: int
    outlet_id: int
    wallet_id: int
    citizen_id: int
    programme_code: str
    quantity: Decimal
    unit: str
    operator_mobile: str
    channel: RedemptionChannel
    request_id: str | None
    status: RedemptionStatus
    code_hash: str
    code_expires_at: dt.datetime
    wrong_codes: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class Started:
    redemption: Inserted | Redemption  # Redemption: the earlier one a repeated request_id found
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


# --- the wallet a start would redeem -------------------------------------------------------

_R, _W, _C, _O = Redemption.__table__, ETokenWallet.__table__, Citizen.__table__, Outlet.__table__
# What an API call uses of its outlet (registry.outlets.TokenOutlet), read with the call's first statement.
_OUTLET_COLUMNS = (_O.c.id, _O.c.code, _O.c.operator_mobile, _O.c.name_en, _O.c.name_bn)


@dataclass(frozen=True)
class Candidate:
    """A wallet of the beneficiary in a programme the outlet serves, with what a start checks
    of it, read in one round trip."""

    wallet_id: int
    programme_code: str
    unit: str
    balance: Decimal
    expires_on: dt.date | None
    citizen_id: int
    citizen_mobile: str | None
    language: str
    wrong_here: int  # wrong codes typed at this outlet in the last hour
    cancelled: int  # redemptions of this wallet cancelled in the last day


_CANDIDATE_COLUMNS = 10  # Candidate's fields, as _candidates_of reads them


def _candidates_of(holder, outlet_is) -> Select:
    """Each row: the Candidate's columns, then the outlet's (the TokenOutlet's)."""
    served = select(OutletProgramme.programme_code).where(OutletProgramme.outlet_id == _O.c.id).correlate(_O)
    wrong_here = (
        select(func.coalesce(func.sum(_R.c.wrong_codes), 0))
        .where(
            _R.c.outlet_id == _O.c.id,
            _R.c.started_at > bindparam("hour_ago"),
            # The sum is the same; the partial index holds only these. The 0 is written into
            # the SQL, not bound: the driver prepares a statement run often, and PostgreSQL's
            # generic plan for it can use a partial index only when the statement itself
            # says "> 0", not "> $4".
            _R.c.wrong_codes > literal_column("0", Integer),
        )
        .correlate(_O)
        .scalar_subquery()
    )
    cancelled = (
        select(func.count())
        .select_from(_R)
        .where(
            _R.c.wallet_id == _W.c.id,
            _R.c.status == RedemptionStatus.CANCELLED,
            _R.c.started_at > bindparam("day_ago"),
        )
        .correlate(_W)
        .scalar_subquery()
    )
    return (
        select(
            _W.c.id,
            _W.c.programme_code,
            _W.c.unit,
            _W.c.balance,
            _W.c.expires_on,
            _C.c.id,
            _C.c.mobile,
            _C.c.language,
            wrong_here,
            cancelled,
            *_OUTLET_COLUMNS,
        )
        .join_from(_W, _C, _C.c.id == _W.c.citizen_id)
        .join(_O, outlet_is)
        .where(_W.c.citizen_id == holder, _W.c.programme_code.in_(served))
        .order_by(_W.c.programme_code)
    )


# A beneficiary typed as a mobile is the earliest citizen with that phone, as every channel
# finds a caller; typed as an NID, the citizen with it.
_HOLDER = {
    "mobile": select(_C.c.id).where(_C.c.mobile == bindparam("mobile")).order_by(_C.c.id).limit(1),
    "nid": select(_C.c.id).where(_C.c.nid == bindparam("nid")).limit(1),
}
# The outlet by its id (USSD, SMS) or by the hash of the token an API call presented.
_OUTLET_IS = {
    "outlet_id": _O.c.id == bindparam("outlet_id"),
    "token_hash": _O.c.token_hash == bindparam("token_hash"),
}
# Run on the driver's cursor (foundation.hot_select): every start and every USSD beneficiary
# screen asks.
_CANDIDATES = {
    (kind, by): HotSelect(_candidates_of(holder.scalar_subquery(), outlet_is), kind, by, "hour_ago", "day_ago")
    for kind, holder in _HOLDER.items()
    for by, outlet_is in _OUTLET_IS.items()
}
# A start that is one statement (PostgreSQL, below) knows its redemption's id before it writes
# (its SMS's question and dedupe key name it): the read draws it from the table's sequence too.
_NEW_ID = select(func.nextval(func.pg_get_serial_sequence(_R.name, _R.c.id.name))).scalar_subquery()
_CANDIDATES_AND_NEW_ID = {
    key: HotSelect(candidates.statement.add_columns(_NEW_ID), *candidates.parameter_names)
    for key, candidates in _CANDIDATES.items()
}


def _typed_beneficiary(beneficiary: str) -> tuple[str, str]:
    """("mobile", E.164) or ("nid", NID). A number written as a phone is (+880…, 880 and 11
    digits of 01…, 01… with 11 digits) is a mobile; anything else an NID, so that a 10-digit
    smart-card NID is never read as a phone without its leading 0."""
    text = re.sub(r"[\s\-().]", "", to_ascii_digits(beneficiary or ""))
    try:
        if re.fullmatch(r"(\+880|880)1\d{9}|01\d{9}", text):
            return "mobile", normalise_mobile(text)
        return "nid", parse_nid(text)
    except InvalidValue:
        raise Refused(Reason.BAD_BENEFICIARY) from None


def _holder_id(session: Session, beneficiary: str) -> int | None:
    kind, value = _typed_beneficiary(beneficiary)
    return connection_of(session).execute(_HOLDER[kind], {kind: value}).scalar()


def outlet_programmes(session: Session, outlet: AnOutlet) -> list[str]:
    return list(
        session.scalars(
            select(OutletProgramme.programme_code)
            .where(OutletProgramme.outlet_id == outlet.id)
            .order_by(OutletProgramme.programme_code)
        )
    )


def _known(session: Session, outlet: Caller) -> AnOutlet:
    """The outlet itself: a presented token's, looked up if no statement has read it yet
    (registry.outlets.UnknownToken if it is no outlet's)."""
    return outlet.checked(session) if isinstance(outlet, PresentedToken) else outlet


def _outlet_key(outlet: Caller) -> dict[str, object]:
    if isinstance(outlet, PresentedToken):
        return {"token_hash": outlet.hash}
    return {"outlet_id": outlet.id}


def _first_statement(session: Session, run: Callable[[], _T], on: Connection | None = None) -> _T:
    """A statement that may begin the session's transaction (or that runs ``on`` an
    autocommit connection, where each statement is one), run once more on a fresh
    connection if the pooled one had died since its last use (foundation/db.py pings only
    an idle one): the transaction it began had written nothing yet."""
    beginning = on is not None or not session.in_transaction()
    try:
        return run()
    except DBAPIError as error:
        if not (beginning and is_lost_connection(error)):
            raise
        (on or session).rollback()
        return run()


@dataclass(frozen=True)
class _Chosen:
    wallet: Candidate
    outlet: AnOutlet
    operator_mobile: str
    new_id: int | None = None  # drawn by the read of a start that is one statement


def _candidate(
    session: Session,
    outlet: Caller,
    operator_mobile: str | None,
    beneficiary: str,
    programme: str | None,
    now: dt.datetime,
    carried_on: Connection | None = None,
) -> _Chosen:
    """The one wallet to redeem from, refused if there is none, several (the programme is
    needed), it is the operator's own or it has expired. No operator's phone given is the
    outlet's registered operator's (an API call). Read ``carried_on`` that autocommit
    connection, with a new redemption id, for a start that is one statement."""
    kind, value = _typed_beneficiary(beneficiary)
    key = _outlet_key(outlet)
    statement = (_CANDIDATES_AND_NEW_ID if carried_on is not None else _CANDIDATES)[kind, next(iter(key))]
    parameters = {kind: value, **key, "hour_ago": now - dt.timedelta(hours=1), "day_ago": now - dt.timedelta(days=1)}
    connection = carried_on if carried_on is not None else connection_of(session)
    rows = _first_statement(session, lambda: statement.rows(connection, **parameters), on=carried_on)
    outlet_columns = slice(_CANDIDATE_COLUMNS, _CANDIDATE_COLUMNS + len(_OUTLET_COLUMNS))
    if rows and isinstance(outlet, PresentedToken):
        outlet.outlet = TokenOutlet(*rows[0][outlet_columns])
    known = _known(session, outlet)  # found no wallet: is the token an outlet's at all?
    operator_mobile = operator_mobile or known.operator_mobile
    candidates = [
        Candidate(w, code, unit, Decimal(balance), expires, c, mobile, language.value, int(wrong), int(cancelled))
        for w, code, unit, balance, expires, c, mobile, language, wrong, cancelled in (
            row[:_CANDIDATE_COLUMNS] for row in rows
        )
    ]
    if programme:
        wanted = programme.strip().lower()
        candidates = [each for each in candidates if each.programme_code.lower() == wanted]
        if not candidates:
            served = outlet_programmes(session, known)
            if not any(code.lower() == wanted for code in served):
                raise Refused(Reason.PROGRAMME_NOT_SERVED, programmes=tuple(served))
    if not candidates:
        raise Refused(Reason.NO_WALLET)
    if len(candidates) > 1:
        raise Refused(Reason.PROGRAMME_NEEDED, programmes=tuple(each.programme_code for each in candidates))
    wallet = candidates[0]
    # The operator's registered phone is the beneficiary's, or is the phone the beneficiary
    # was found by (the citizen a phone finds is one whose mobile it is, so no look-up of the
    # operator is needed).
    if operator_mobile in (wallet.citizen_mobile, value if kind == "mobile" else None):
        raise Refused(Reason.OWN_WALLET)
    if wallet.expires_on is not None and wallet.expires_on < as_utc(now).astimezone(DHAKA).date():
        raise Refused(Reason.WALLET_EXPIRED)
    new_id = rows[0][-1] if carried_on is not None else None
    return _Chosen(wallet, known, operator_mobile, new_id)


def _check_quantity(wallet: Candidate, quantity: Decimal) -> None:
    step = quantity_step(wallet.unit)
    if quantity <= 0 or quantity % step != 0:
        raise Refused(Reason.BAD_QUANTITY, step=step)
    if quantity > wallet.balance:
        raise Refused(Reason.OVER_BALANCE)


def _check_not_guessing(wallet: Candidate) -> None:
    if wallet.wrong_here >= OUTLET_WRONG_CODES_PER_HOUR or wallet.cancelled >= WALLET_CANCELLED_PER_DAY:
        raise Refused(Reason.PAUSED)


def _expire_stale(session: Session, now: dt.datetime, *conditions) -> int:
    result = session.execute(
        update(Redemption)
        .where(Redemption.status == RedemptionStatus.AWAITING_CODE, Redemption.code_expires_at <= now, *conditions)
        .values(status=RedemptionStatus.EXPIRED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _forget(session: Session, model: type, ident: int) -> None:
    """A row changed by a Core statement: its ORM copy in this session (a caller's, or a
    test's) reads it again when next used."""
    if not session.identity_map:  # an outlet app's call loads nothing through the ORM
        return
    loaded = session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        session.expire(loaded)


# --- starting ----------------------------------------------------------------------------

_INSERT_COLUMNS = (
    "outlet_id",
    "wallet_id",
    "citizen_id",
    "programme_code",
    "quantity",
    "unit",
    "operator_mobile",
    "channel",
    "request_id",
    "status",
    "code_hash",
    "code_expires_at",
    "wrong_codes",
    "started_at",
    "finished_at",
)
_INSERT = HotStatement(insert(_R).returning(_R.c.id), *_INSERT_COLUMNS)
# On PostgreSQL, with nothing begun on the caller's session, a start is one read and this one
# statement on an autocommit connection (no BEGIN, no COMMIT): the insert, carrying what the
# listeners record for it (the code's SMS and its question: foundation.write_parts).
_STARTED = (
    insert(_R)
    .values({name: bindparam("r_" + name, type_=_R.c[name].type) for name in ("id", *_INSERT_COLUMNS)})
    .returning(_R.c.id)
    .cte("started")
)
_START = Carrier((_STARTED,), (_STARTED.c.id,), tuple("r_" + name for name in ("id", *_INSERT_COLUMNS)))


def _carrying_connection(session: Session, carried: bool) -> Connection | None:
    """The autocommit connection a start or a confirm runs on as one read and one statement
    (the listeners' writes ``carried`` in it), or None. Only with nothing begun on the
    session, and nothing waiting in it to be flushed (a flush would begin one): a write of
    its own transaction waiting for a lock the session's open transaction held would wait
    for ever, on the same thread."""
    if session.in_transaction() or session.new or session.dirty or session.deleted or not carried:
        return None
    if session.get_bind().dialect.name != "postgresql":  # SQLite has no data-modifying CTEs
        return None
    return autocommit_connection()


def start(
    session: Session,
    outlet: Caller,
    operator_mobile: str | None,
    beneficiary: str,
    quantity: Decimal,
    programme: str | None,
    channel: RedemptionChannel,
    request_id: str | None = None,
    now: dt.datetime | None = None,
) -> Started:
    """Start a redemption and have its code sent to the beneficiary; commits. No operator's
    phone given is the outlet's registered operator's (an API call).

    The usual start is one read and one insert: a repeated ``request_id`` and a lapsed code
    still holding the wallet are found by the insert's unique indexes, and handled then."""
    now = now or utcnow()
    if request_id is not None and not _REQUEST_ID.fullmatch(request_id):
        raise Refused(Reason.BAD_REQUEST_ID)
    for last_try in (False, True):
        context = _Context()
        wallet: Candidate | None = None
        carried_on = _carrying_connection(session, context.announcer.carries_redemption_starts())
        try:
            chosen = _candidate(session, outlet, operator_mobile, beneficiary, programme, now, carried_on)
            wallet = chosen.wallet
            _check_quantity(wallet, quantity)
            _check_not_guessing(wallet)
            code = new_code()
            values = {
                "outlet_id": chosen.outlet.id,
                "wallet_id": wallet.wallet_id,
                "citizen_id": wallet.citizen_id,
                "programme_code": wallet.programme_code,
                "quantity": quantity,
                "unit": wallet.unit,
                "operator_mobile": chosen.operator_mobile,
                "channel": channel,
                "request_id": request_id,
                "status": RedemptionStatus.AWAITING_CODE,
                "code_hash": _code_hash(code, _code_keys()[0]),
                "code_expires_at": now + CODE_VALID,
                "wrong_codes": 0,
                "started_at": now,
                "finished_at": None,
            }
            if carried_on is not None:
                assert chosen.new_id is not None
                redemption_id = chosen.new_id
                parts = context.announcer.redemption_started_parts(
                    _notice(redemption_id, wallet, quantity, chosen.outlet), code
                )
                own = {"r_" + name: value for name, value in values.items()}
                row = _START.run(carried_on, parts, r_id=redemption_id, **own)
                assert row is not None  # the insert returns its row, or raises
                context.announcer.parts_recorded(row[1:])
            else:
                [(redemption_id,)], _ = _INSERT.run(connection_of(session), **values)
        except Refused as refused:
            session.rollback()
            # A repeated request whose first start changed what the rules see (the balance
            # after it completed) is answered as the first time.
            if (
                request_id is not None
                and refused.reason is not Reason.BAD_BENEFICIARY
                and (earlier := _by_request_id(session, _known(session, outlet), request_id)) is not None
            ):
                return _repeated(session, earlier, beneficiary, quantity, programme, now)
            raise
        except IntegrityError:
            # This request_id was seen (or a twin won the race), or a redemption holds the wallet.
            _end(session, carried_on)
            if (
                request_id is not None
                and (earlier := _by_request_id(session, _known(session, outlet), request_id)) is not None
            ):
                return _repeated(session, earlier, beneficiary, quantity, programme, now)
            # A code whose ten minutes passed no longer holds the wallet: expire it and try again
            # (whether this start or the scheduler's sweep expired it meanwhile).
            if not last_try and wallet is not None:
                _expire_stale(session, now, Redemption.wallet_id == wallet.wallet_id)
                session.commit()
                continue
            session.rollback()
            raise Refused(Reason.PENDING_EXISTS) from None
        except BaseException:
            _end(session, carried_on)
            raise
        redemption = Inserted(id=redemption_id, **values)
        if carried_on is None:
            context.announcer.redemption_started(session, _notice(redemption_id, wallet, quantity, chosen.outlet), code)
            session.commit()
        context.announcer.redemption_committed()
        return Started(redemption, code)
    raise AssertionError("unreachable: the last try returns or raises")


def _end(session: Session, carried_on: Connection | None) -> None:
    """After a failed start: the session's transaction, and the autocommit connection's
    state if the start ran on it (a lost connection is replaced on its next use)."""
    session.rollback()
    if carried_on is not None:
        carried_on.rollback()


def _notice(redemption_id: int, wallet: Candidate, quantity: Decimal, outlet: AnOutlet) -> RedemptionNotice:
    return RedemptionNotice(
        redemption_id,
        wallet.citizen_mobile,
        wallet.language,
        quantity,
        wallet.unit,
        outlet.name_en,
        outlet.name_bn,
        wallet.balance,
    )


def _repeated(
    session: Session, earlier: Redemption, beneficiary: str, quantity: Decimal, programme: str | None, now: dt.datetime
) -> Started:
    """The same request again: the same person, programme and quantity, or a mistake the app
    must hear of (answering with the earlier redemption would tell it a second person had
    been sent a code)."""
    same = (
        earlier.quantity == quantity
        # Named as a start reads a programme: case and spaces aside, blank is none.
        and (not (programme or "").strip() or programme.strip().lower() == earlier.programme_code.lower())
        and _holder_id(session, beneficiary) == earlier.citizen_id
    )
    if not same:
        session.rollback()
        raise Refused(Reason.REQUEST_ID_REUSED)
    _expire_if_due(session, earlier, now)
    session.commit()
    return Started(earlier, None, created=False)


def wallet_to_redeem(
    session: Session,
    outlet: AnOutlet,
    operator_mobile: str,
    beneficiary: str,
    programme: str | None,
    now: dt.datetime | None = None,
) -> Candidate:
    """The wallet ``start`` would redeem from, refused as ``start`` refuses it, without starting
    anything: for a channel that asks the quantity after the person (a USSD screen shows the
    wallet's unit, and asks for the programme first when there are several)."""
    return _candidate(session, outlet, operator_mobile, beneficiary, programme, now or utcnow()).wallet


def _by_request_id(session: Session, outlet: AnOutlet, request_id: str) -> Redemption | None:
    return session.scalars(
        select(Redemption).where(Redemption.outlet_id == outlet.id, Redemption.request_id == request_id)
    ).first()


def _expire_if_due(session: Session, redemption: Redemption, now: dt.datetime) -> bool:
    if redemption.status is RedemptionStatus.AWAITING_CODE and as_utc(redemption.code_expires_at) <= as_utc(now):
        redemption.status = RedemptionStatus.EXPIRED
        redemption.finished_at = now
        session.flush()
        return True
    return False


# --- finishing ---------------------------------------------------------------------------


def _lock(condition, *, for_update: bool = True) -> Select:
    """The redemption and its wallet, locked (in that order on every path: PostgreSQL locks
    a row's tables in the order they are joined), with what its receipt says of the outlet,
    the beneficiary and the balance: the debit that follows cannot find another. Without
    ``for_update``, the same read with no lock (a confirm's first look, below)."""
    read = (
        select(
            _R.c.id,
            _R.c.wallet_id,
            _R.c.outlet_id,
            _R.c.operator_mobile,
            _R.c.quantity,
            _R.c.unit,
            _R.c.status,
            _R.c.code_hash,
            _R.c.code_expires_at,
            _R.c.wrong_codes,
            _O.c.name_en,
            _O.c.name_bn,
            _C.c.mobile,
            _C.c.language,
            _O.c.code,
            _O.c.operator_mobile,
            _W.c.balance,
        )
        .join_from(_R, _O, _O.c.id == _R.c.outlet_id)
        .join(_C, _C.c.id == _R.c.citizen_id)
        .join(_W, _W.c.id == _R.c.wallet_id)
        .where(_R.c.id == bindparam("redemption_id"), condition)
    )
    return read.with_for_update(of=(_R, _W)) if for_update else read


# On the cursor path a failed lock is reported, never run again on its connection. Only a
# connection found dead makes ``_first_statement`` take it once more, on a fresh one: nothing
# had been written, and a lock that the lost connection's server process might still hold
# would hold up a retrying app's next call alike.
_LOCK_FOR_OUTLET = {by: HotStatement(_lock(outlet_is), "redemption_id", by) for by, outlet_is in _OUTLET_IS.items()}
_LOCK_FOR_CITIZEN = HotStatement(_lock(_R.c.citizen_id == bindparam("citizen_id")), "redemption_id", "citizen_id")
_BALANCE = HotSelect(select(_W.c.balance, _W.c.unit).where(_W.c.id == bindparam("wallet_id")), "wallet_id")
_ONE = update(_R).where(_R.c.id == bindparam("b_id"))
# What a decision writes: its status and when, and a wrong code's count.
_UPDATES = {
    columns: HotStatement(_ONE, "b_id", *columns)
    for columns in (("status", "finished_at"), ("wrong_codes",), ("wrong_codes", "status", "finished_at"))
}


def _set(session: Session, redemption_id: int, **values) -> None:
    _UPDATES[tuple(values)].run(connection_of(session), b_id=redemption_id, **values)
    _forget(session, Redemption, redemption_id)


def _status_now(session: Session, locked: _Locked, now: dt.datetime) -> RedemptionStatus:
    """The locked redemption's status, after expiring a code whose ten minutes passed."""
    if locked.status is RedemptionStatus.AWAITING_CODE and as_utc(locked.code_expires_at) <= as_utc(now):
        _set(session, locked.id, status=RedemptionStatus.EXPIRED, finished_at=now)
        return RedemptionStatus.EXPIRED
    return locked.status


def _balance(session: Session, wallet_id: int) -> tuple[Decimal, str]:
    found = _BALANCE.first(connection_of(session), wallet_id=wallet_id)
    assert found is not None
    return Decimal(found[0]), found[1]


@dataclass(frozen=True)
class _Locked:
    """The locked redemption, as ``_lock`` reads it."""

    id: int
    wallet_id: int
    outlet_id: int
    operator_mobile: str
    quantity: Decimal
    unit: str
    status: RedemptionStatus
    code_hash: str
    code_expires_at: dt.datetime
    wrong_codes: int
    name_en: str
    name_bn: str
    mobile: str | None
    language: Language
    outlet_code: str
    outlet_operator_mobile: str
    balance: Decimal  # the wallet's, locked with the redemption

    @property
    def outlet(self) -> TokenOutlet:
        return TokenOutlet(self.outlet_id, self.outlet_code, self.outlet_operator_mobile, self.name_en, self.name_bn)


def _locked(row: tuple | None) -> _Locked | None:
    return _Locked(*row) if row is not None else None


# On PostgreSQL the debit, its ledger entry and the redemption's completion are one
# statement (registry.etokens.redemption_debit), where SQLite takes three; it carries what
# the listeners record for the completion (the receipt SMS and its question:
# foundation.write_parts), so that a confirm writes in one round trip.
_DEBITED, _LEDGER_ENTRY = etokens.redemption_debit()
_COMPLETED = (
    update(_R)
    .where(_R.c.id == bindparam("b_redemption_id", type_=_R.c.id.type), exists(select(_DEBITED.c.id)))
    .values(status=RedemptionStatus.COMPLETED, finished_at=bindparam("b_finished_at"))
    .cte("completed")
)
_COMPLETE = Carrier(
    (_LEDGER_ENTRY, _COMPLETED),
    (_DEBITED.c.balance, _DEBITED.c.unit),
    ("b_wallet", "b_quantity", "b_outlet_id", "b_operator_mobile", "b_redemption_id", "b_finished_at"),
)


def _debit_and_complete(
    session: Session, locked: _Locked, now: dt.datetime, context: _Context
) -> tuple[Decimal, str] | None:
    """The wallet debited and the redemption completed, with what the listeners record for
    it, or None (nothing written) when the balance no longer covers the quantity."""
    connection = connection_of(session)
    if connection.dialect.name != "postgresql":
        debited = etokens.debit_for_redemption(
            connection,
            locked.wallet_id,
            locked.quantity,
            outlet_id=locked.outlet_id,
            operator_mobile=locked.operator_mobile,
            redemption_id=locked.id,
        )
        if debited is not None:
            _set(session, locked.id, status=RedemptionStatus.COMPLETED, finished_at=now)
            context.announcer.redemption_completed(session, _receipt_notice(locked, debited[0]))
        return debited
    if locked.quantity <= 0:
        raise ValueError("a redemption debits a positive quantity")
    carried = context.announcer.carries_redemption_completions()
    if carried:
        # The wallet is locked with the redemption: the balance the receipt gives is the one left.
        parts = context.announcer.redemption_completed_parts(
            session, _receipt_notice(locked, Decimal(locked.balance) - Decimal(locked.quantity))
        )
    found = _COMPLETE.run(connection, parts if carried else [], **_debit_values(locked, now))
    _forget(session, Redemption, locked.id)
    if found is None and carried:
        # Cannot be (the wallet is locked and its balance checked): the carried receipt must
        # not commit without its debit.
        session.rollback()
        raise RuntimeError(f"redemption {locked.id}: the locked wallet could not be debited")
    if found is None:
        return None
    balance, unit = Decimal(found[0]), found[1]
    if carried:
        context.announcer.parts_recorded(found[2:])
    else:
        context.announcer.redemption_completed(session, _receipt_notice(locked, balance))
    return balance, unit


def _debit_values(locked: _Locked, now: dt.datetime) -> dict[str, object]:
    """The parameters of a debit statement (``_COMPLETE``, ``_COMPLETE_AS_READ``)."""
    return {
        "b_wallet": locked.wallet_id,
        "b_quantity": locked.quantity,
        "b_outlet_id": locked.outlet_id,
        "b_operator_mobile": locked.operator_mobile,
        "b_redemption_id": locked.id,
        "b_finished_at": now,
    }


def _receipt_notice(locked: _Locked, balance_left: Decimal) -> RedemptionNotice:
    return RedemptionNotice(
        locked.id,
        locked.mobile,
        locked.language.value,
        Decimal(locked.quantity),
        locked.unit,
        locked.name_en,
        locked.name_bn,
        balance_left,
    )


def _debit(session: Session, locked: _Locked, now: dt.datetime, context: _Context) -> tuple[Decimal, str]:
    if Decimal(locked.balance) < Decimal(locked.quantity):
        # The balance fell since the start (an import lowered it): nothing is handed over.
        _cancel_over_balance(session, locked, now)
    debited = _debit_and_complete(session, locked, now, context)
    _forget(session, ETokenWallet, locked.wallet_id)
    if debited is None:  # on SQLite, whose writers lock the database only as they write
        _cancel_over_balance(session, locked, now)
    assert debited is not None
    return debited


def _cancel_over_balance(session: Session, locked: _Locked, now: dt.datetime) -> None:
    _set(session, locked.id, status=RedemptionStatus.CANCELLED, finished_at=now)
    session.commit()
    raise Refused(Reason.OVER_BALANCE)


def _refuse_finished(session: Session, status: RedemptionStatus) -> None:
    session.commit()
    if status is RedemptionStatus.CANCELLED:
        raise Refused(Reason.CANCELLED, tries_left=0)
    if status is RedemptionStatus.EXPIRED:
        raise Refused(Reason.EXPIRED)
    raise Refused(Reason.FINISHED)


# A confirm with nothing begun on its session, on PostgreSQL: a read with no lock, then, when
# it found the redemption awaiting this code and a balance that covers it, one statement on
# the autocommit connection that locks the redemption if it still awaits its code, debits the
# wallet if its balance is still the one read (so the receipt's balance left is right),
# writes the ledger entry and the completion, and carries the receipt, each only if the
# debit happened. Anything else (a wrong code, a race lost, a lapsed code) goes the careful
# way: the lock, then the decision.
_PEEK = {by: HotSelect(_lock(outlet_is, for_update=False), "redemption_id", by) for by, outlet_is in _OUTLET_IS.items()}
_STILL_AWAITING = (
    select(_R.c.id)
    .where(
        _R.c.id == bindparam("b_redemption_id", type_=_R.c.id.type),
        _R.c.status == RedemptionStatus.AWAITING_CODE,
        _R.c.code_expires_at > bindparam("b_finished_at", type_=_R.c.code_expires_at.type),
    )
    .with_for_update()
    .cte("still_awaiting")
)
_DEBITED_AS_READ, _LEDGER_ENTRY_AS_READ = etokens.redemption_debit(
    _W.c.balance == bindparam("b_balance_read", type_=_W.c.balance.type), exists(select(_STILL_AWAITING.c.id))
)
# The condition the carried parts write under: the debit happened.
DEBITED_AS_READ = exists(select(_DEBITED_AS_READ.c.id))
_COMPLETE_AS_READ = Carrier(
    (
        _LEDGER_ENTRY_AS_READ,
        update(_R)
        .where(_R.c.id == bindparam("b_redemption_id"), DEBITED_AS_READ)
        .values(status=RedemptionStatus.COMPLETED, finished_at=bindparam("b_finished_at"))
        .cte("completed"),
    ),
    (_DEBITED_AS_READ.c.balance, _DEBITED_AS_READ.c.unit),
    (
        "b_wallet",
        "b_quantity",
        "b_outlet_id",
        "b_operator_mobile",
        "b_redemption_id",
        "b_finished_at",
        "b_balance_read",
    ),
)


def _confirm_as_read(
    session: Session, outlet: Caller, redemption_id: int, code: str, now: dt.datetime
) -> Confirmed | None:
    """The confirm as one read and one statement (above), or None: nothing was written, and
    the careful way decides."""
    context = _Context()
    connection = _carrying_connection(session, context.announcer.carries_redemption_completions())
    if connection is None:
        return None
    key = _outlet_key(outlet)
    peek = _PEEK[next(iter(key))]
    read = _locked(
        _first_statement(session, lambda: peek.first(connection, redemption_id=redemption_id, **key), on=connection)
    )
    if (
        read is None
        or read.status is not RedemptionStatus.AWAITING_CODE
        or as_utc(read.code_expires_at) <= as_utc(now)
        or Decimal(read.balance) < Decimal(read.quantity)
        or not code_matches(read, code)
    ):
        return None
    if isinstance(outlet, PresentedToken):
        outlet.outlet = read.outlet
    left = Decimal(read.balance) - Decimal(read.quantity)
    parts = context.announcer.redemption_completed_parts(session, _receipt_notice(read, left), DEBITED_AS_READ)
    try:
        row = _COMPLETE_AS_READ.run(connection, parts, **_debit_values(read, now), b_balance_read=read.balance)
    except DBAPIError as error:
        connection.rollback()
        if is_lost_connection(error):
            raise  # it may have been written: the app's retry finds it completed
        # A deadlock or a lock not granted: the statement wrote nothing, the careful way decides.
        log.info("a confirm's one statement gave way (%s); the careful way decides", type(error.orig).__name__)
        return None
    except BaseException:
        connection.rollback()
        raise
    if row is None:
        return None  # changed since the read: nothing was written
    context.announcer.parts_recorded(row[2:])
    _forget(session, Redemption, read.id)
    _forget(session, ETokenWallet, read.wallet_id)
    context.announcer.redemption_committed()
    return Confirmed(RedemptionStatus.COMPLETED, Decimal(row[0]), row[1], MAX_WRONG_CODES - read.wrong_codes)


def confirm_code(
    session: Session, outlet: Caller, redemption_id: int, code: str, now: dt.datetime | None = None
) -> Confirmed:
    """The operator enters the beneficiary's code; commits. The right code for a redemption
    already completed answers as the first time did (an app retrying a lost answer), and
    never debits twice."""
    now = now or utcnow()
    confirmed = _confirm_as_read(session, outlet, redemption_id, code, now)
    if confirmed is not None:
        return confirmed
    context = _Context()
    try:
        key = _outlet_key(outlet)
        lock = _LOCK_FOR_OUTLET[next(iter(key))]
        locked = _locked(
            _first_statement(session, lambda: lock.first(connection_of(session), redemption_id=redemption_id, **key))
        )
        if locked is None:
            _known(session, outlet)  # an unknown token is told so, not that the redemption is missing
            raise Refused(Reason.NOT_FOUND)
        if isinstance(outlet, PresentedToken):
            outlet.outlet = locked.outlet
        status = _status_now(session, locked, now)
        tries_left = MAX_WRONG_CODES - locked.wrong_codes
        if status is RedemptionStatus.COMPLETED and code_matches(locked, code):
            balance, unit = _balance(session, locked.wallet_id)
            session.commit()
            return Confirmed(status, balance, unit, tries_left)
        if status is not RedemptionStatus.AWAITING_CODE:
            _refuse_finished(session, status)
        if not code_matches(locked, code):
            tries_left -= 1
            cancels = {"status": RedemptionStatus.CANCELLED, "finished_at": now} if tries_left <= 0 else {}
            _set(session, locked.id, wrong_codes=locked.wrong_codes + 1, **cancels)
            session.commit()
            if tries_left <= 0:
                raise Refused(Reason.CANCELLED, tries_left=0)
            raise Refused(Reason.WRONG_CODE, tries_left=tries_left)
        balance, unit = _debit(session, locked, now, context)
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
        locked = _locked(
            _LOCK_FOR_CITIZEN.first(connection_of(session), redemption_id=redemption_id, citizen_id=citizen_id)
        )
        if locked is None:
            raise Refused(Reason.NOT_FOUND)
        status = _status_now(session, locked, now)
        if status is not RedemptionStatus.AWAITING_CODE:
            _refuse_finished(session, status)
        if accept:
            balance, unit = _debit(session, locked, now, context)
            status = RedemptionStatus.COMPLETED
        else:
            _set(session, locked.id, status=RedemptionStatus.REFUSED, finished_at=now)
            balance, unit = _balance(session, locked.wallet_id)
            status = RedemptionStatus.REFUSED
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
