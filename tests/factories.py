"""Factories for registry rows with sensible defaults; override only what a test is about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from grievance.intake import Filing
from grievance.models import Category, Channel
from registry.eligibility import CitizenFacts
from registry.households import rescore_households
from registry.models import (
    Citizen,
    District,
    Enrolment,
    EnrolmentStatus,
    ETokenWallet,
    Gender,
    Household,
    Language,
    MaritalStatus,
    Payment,
    PaymentChannel,
    PaymentStatus,
    Upazila,
)

AS_OF = dt.date(2026, 11, 1)
_serial = itertools.count(1)


def _create(session: Session, model: type, defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    row = model(**{**defaults, **overrides})
    session.add(row)
    session.flush()
    return row


def birth_date_for_age(age: int, as_of: dt.date = AS_OF) -> dt.date:
    """A birthday safely inside the year of life that gives ``age`` on ``as_of``."""
    return as_of.replace(year=as_of.year - age) - dt.timedelta(days=30)


def place(session: Session, district: str = "Cumilla") -> tuple[int, int]:
    district_id = session.scalar(select(District.id).where(District.name_en == district))
    upazila_id = session.scalar(select(Upazila.id).where(Upazila.district_id == district_id).order_by(Upazila.id))
    return district_id, upazila_id


def make_household(session: Session, **fields: Any) -> Household:
    n = next(_serial)
    values = {
        "external_id": f"TEST-HH-{n}",
        "size": 4,
        "monthly_income_bdt": Decimal(6000),
        "land_decimal": Decimal(5),
    }
    return _create(session, Household, values, fields)


def make_citizen(
    session: Session,
    *,
    age: int = 40,
    household: Household | None = None,
    district: str = "Cumilla",
    rescore: bool = True,
    **fields: Any,
) -> Citizen:
    n = next(_serial)
    district_id, upazila_id = place(session, district)
    household = household or make_household(session)
    values: dict[str, Any] = {
        "nid": f"{5_000_000_000 + n}",
        "name_en": f"Test Person {n}",
        "name_bn": "পরীক্ষা ব্যক্তি",
        "date_of_birth": birth_date_for_age(age),
        "gender": Gender.FEMALE,
        "mobile": f"+88017{n:08d}",
        "district_id": district_id,
        "upazila_id": upazila_id,
        "household_id": household.id,
        "disability": False,
        "marital_status": MaritalStatus.MARRIED,
        "language": Language.BANGLA,
    }
    values.update(fields)
    citizen = Citizen(**values)
    session.add(citizen)
    session.flush()
    if rescore:
        rescore_households(session, [household.id], as_of=AS_OF)
        session.refresh(household)
    return citizen


def make_enrolment(session: Session, citizen: Citizen, programme: str = "OAA", **fields: Any) -> Enrolment:
    values: dict[str, Any] = {
        "citizen_id": citizen.id,
        "programme_code": programme,
        "status": EnrolmentStatus.ACTIVE,
        "enrolled_on": dt.date(2024, 1, 1),
        "payment_channel": PaymentChannel.NAGAD,
        "account_number": "01712345678",
    }
    return _create(session, Enrolment, values, fields)


def make_payment(session: Session, citizen: Citizen, programme: str = "OAA", **fields: Any) -> Payment:
    values: dict[str, Any] = {
        "citizen_id": citizen.id,
        "programme_code": programme,
        "cycle": "2026-10",
        "amount_bdt": Decimal(600),
        "status": PaymentStatus.CREDITED,
        "paid_on": dt.date(2026, 10, 12),
        "channel": PaymentChannel.NAGAD,
        "txn_id": f"TXN{next(_serial):08d}",
    }
    return _create(session, Payment, values, fields)


def make_filing(**changes: Any) -> Filing:
    values: dict[str, Any] = {
        "phone": "+8801712345678",
        "category": Category.PAYMENT_NOT_RECEIVED,
        "programme_code": "OAA",
        "text": "no money since July",
        "channel": Channel.USSD,
        "locale": "bn",
    }
    return Filing(**{**values, **changes})


def make_wallet(session: Session, citizen: Citizen, programme: str = "FFP", **fields: Any) -> ETokenWallet:
    values: dict[str, Any] = {"citizen_id": citizen.id, "programme_code": programme, "unit": "kg rice"}
    return _create(session, ETokenWallet, values, fields)


STAFF_PASSWORD = "a long test passphrase"


def make_staff(session: Session, role: str = "officer", **fields: Any):
    """A staff account (password STAFF_PASSWORD); an officer of MOSW unless told otherwise."""
    from staff.auth import hash_password
    from staff.models import Role, StaffUser

    n = next(_serial)
    role = Role(role)
    values: dict[str, Any] = {
        "email": f"staff{n}@example.gov.bd",
        "name": f"Staff {n}",
        "password_hash": _password_hash(hash_password),
        "role": role,
        "ministry_code": "MOSW" if role in (Role.OFFICER, Role.GRO) else None,
        "cluster_code": "SA" if role is Role.COORDINATOR else None,
        "district_ids": [],
        "language": "en",
    }
    return _create(session, StaffUser, values, fields)


_hashes: dict[str, str] = {}


def _password_hash(hash_password) -> str:
    """scrypt is slow on purpose; one hash serves every test account."""
    if STAFF_PASSWORD not in _hashes:
        _hashes[STAFF_PASSWORD] = hash_password(STAFF_PASSWORD)
    return _hashes[STAFF_PASSWORD]


def make_old_age_beneficiary(
    session: Session, mobile: str, account_number: str | None = None, **fields: Any
) -> Citizen:
    """Rahima, 70: the Old Age Allowance through Nagad, a credited payment, a failed one
    ("wallet account inactive", 12 October), the next one scheduled, and 30 kg of Food
    Friendly rice. Committed."""
    from registry.etokens import post_entry

    citizen = make_citizen(session, age=70, gender=Gender.FEMALE, mobile=mobile, **fields)
    make_enrolment(session, citizen, "OAA", account_number=account_number or mobile[-11:])
    make_payment(session, citizen, "OAA", cycle="2026-09", status=PaymentStatus.CREDITED, txn_id="T1")
    make_payment(
        session,
        citizen,
        "OAA",
        cycle="2026-10",
        status=PaymentStatus.FAILED,
        txn_id=None,
        paid_on=dt.date(2026, 10, 12),
        failure_reason="wallet account inactive",
    )
    make_payment(session, citizen, "OAA", cycle="2026-11", status=PaymentStatus.SCHEDULED, txn_id=None, paid_on=None)
    make_enrolment(session, citizen, "FFP")
    post_entry(session, make_wallet(session, citizen, "FFP", expires_on=dt.date(2026, 12, 31)), Decimal(30), "credit")
    session.commit()
    return citizen


def payment_row(citizen, **changes) -> dict[str, str]:
    """A row of a payments import file: July's credited OAA payment of ``citizen``."""
    row = {
        "nid": citizen.nid,
        "programme": "OAA",
        "cycle": "2026-07",
        "amount_bdt": "600",
        "status": "credited",
        "paid_on": "2026-07-14",
        "channel": "bkash",
        "txn_id": f"BK{citizen.id}",
        "failure_reason": "",
    }
    return {**row, **changes}


# A woman of 30 in a poor household, in no programme: the facts most rules accept.
POOR_WOMAN = CitizenFacts(
    age=30,
    gender="F",
    marital_status="married",
    disability=False,
    household_income=Decimal(2000),
    land=Decimal(5),
    vulnerability=70,
    district_name="Kurigram",
    upazila_id=1,
    active_programmes=frozenset(),
)
