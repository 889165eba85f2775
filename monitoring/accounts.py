"""One account or mobile wallet paid for beneficiaries of several households.

A household's members may share one wallet; three or more households paid into one number
is the classic sign of an agent, a local official or a dealer collecting other people's
allowances (ghost beneficiaries, or real ones who never see the money)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from monitoring.sql import normalised_account
from registry.models import Citizen, Enrolment, EnrolmentStatus, Upazila

MIN_HOUSEHOLDS = 3


def _paid_accounts() -> Select:
    """Not exited enrolments with an account, each with its normalised number."""
    return (
        select(
            normalised_account(Enrolment.account_number).label("account"),
            Enrolment.citizen_id,
            Enrolment.programme_code,
            Enrolment.payment_channel,
            Citizen.household_id,
            Citizen.upazila_id,
            Citizen.nid,
        )
        .join(Citizen, Citizen.id == Enrolment.citizen_id)
        .where(
            Enrolment.status != EnrolmentStatus.EXITED,
            Enrolment.account_number.is_not(None),
            Enrolment.account_number != "",
        )
    )


def shared_accounts(min_households: int = MIN_HOUSEHOLDS) -> Select:
    """Per normalised account number paid for ``min_households`` or more households (not
    exited enrolments): how many households, people and programmes it is paid for, and in how
    many upazilas they live. The caller masks the number."""
    paid = _paid_accounts().subquery("paid")
    households = func.count(func.distinct(paid.c.household_id))
    return (
        select(
            paid.c.account,
            households.label("households"),
            func.count(func.distinct(paid.c.citizen_id)).label("people"),
            func.count(func.distinct(paid.c.programme_code)).label("programmes"),
            func.count(func.distinct(paid.c.upazila_id)).label("upazilas"),
        )
        .group_by(paid.c.account)
        .having(households >= min_households)
        .order_by(households.desc(), paid.c.account)
    )


def shared_account_members(min_households: int = MIN_HOUSEHOLDS) -> Select:
    """The drill-down: every enrolment paid into a flagged account (masked by the caller)."""
    flagged = shared_accounts(min_households).subquery("flagged")
    paid = _paid_accounts().subquery("paid")
    return (
        select(
            paid.c.account,
            paid.c.nid,
            paid.c.household_id,
            paid.c.programme_code.label("programme"),
            paid.c.payment_channel.label("channel"),
            Upazila.name_en.label("upazila"),
        )
        .join(flagged, flagged.c.account == paid.c.account)
        .join(Upazila, Upazila.id == paid.c.upazila_id)
        .order_by(paid.c.account, paid.c.household_id, paid.c.nid)
    )
