"""Signals from the beneficiaries' own answers: of the payments marked credited that a
beneficiary was asked about, how many they confirmed and how many they denied, per payment
channel, district and paying account. A channel, district or account whose beneficiaries
deny more than others is where money marked paid did not arrive."""

from __future__ import annotations

import enum

from sqlalchemy import Float, Select, and_, case, cast, func, select

from monitoring.sql import normalised_account
from registry.models import Citizen, District, Enrolment, Payment, PaymentConfirmation


class Grouping(enum.StrEnum):
    CHANNEL = "channel"
    DISTRICT = "district"
    ACCOUNT = "account"


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def confirmation_rates(by: Grouping) -> Select:
    """``asked``, ``answered``, ``confirmed``, ``denied`` and the two rates (of the answered;
    an unanswered question is neither) per group. ``account`` is the enrolment's account
    the payment went to, normalised (monitoring.sql.normalised_account); the caller masks it."""
    answered = PaymentConfirmation.received.is_not(None)
    confirmed = _count(PaymentConfirmation.received.is_(True))
    denied = _count(PaymentConfirmation.received.is_(False))
    answers = _count(answered)
    account = normalised_account(Enrolment.account_number)
    keys = {
        Grouping.CHANNEL: (Payment.channel.label("channel"),),
        Grouping.DISTRICT: (District.name_en.label("district"),),
        Grouping.ACCOUNT: (account.label("account"), Payment.channel.label("channel")),
    }[by]
    query = (
        select(
            *keys,
            func.count().label("asked"),
            answers.label("answered"),
            confirmed.label("confirmed"),
            denied.label("denied"),
            (cast(confirmed, Float) / func.nullif(answers, 0)).label("confirmation_rate"),
            (cast(denied, Float) / func.nullif(answers, 0)).label("denial_rate"),
        )
        .select_from(PaymentConfirmation)
        .join(Payment, Payment.id == PaymentConfirmation.payment_id)
    )
    if by is Grouping.DISTRICT:
        query = query.join(Citizen, Citizen.id == Payment.citizen_id).join(District, District.id == Citizen.district_id)
    if by is Grouping.ACCOUNT:
        query = query.join(
            Enrolment,
            and_(Enrolment.citizen_id == Payment.citizen_id, Enrolment.programme_code == Payment.programme_code),
        ).where(Enrolment.account_number.is_not(None), Enrolment.account_number != "")
    return query.group_by(*keys).order_by(denied.desc(), *keys)
