"""Alert texts, from gettext, in the citizen's language; each at most 2 segments in Bangla."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from foundation.i18n import translate
from foundation.wording import wording
from grievance.labels import status_sentence
from outbound_sms.encoding import segments
from registry.labels import PaymentProblem, channel_label, unit_label
from registry.models import PaymentChannel, PaymentStatus
from registry.schedule_labels import expected_payment_sentence
from registry.schedules import ExpectedPayment


def complaint_update(locale: str, number: str, status: str) -> str:
    """The text for a complaint's status change (grievance outbox entries)."""
    n = wording(locale).digits(number)
    if status == "received":
        return translate(
            locale, "Complaint %(number)s received. We will tell you when an office takes it up.", number=n
        )
    if status == "routed":
        return translate(locale, "Complaint %(number)s has been sent to the office responsible.", number=n)
    if status == "resolved":
        return translate(locale, "Complaint %(number)s is marked resolved. Is it? Reply 1 for yes, 2 for no.", number=n)
    return status_sentence(locale, number, status)


def payment_credited(
    locale: str,
    programme: str,
    amount: Decimal,
    cycle: str,
    channel: PaymentChannel | None,
    expected: ExpectedPayment | None = None,
) -> str:
    """The credit, then the month the programme's schedule pays in next when that still fits
    2 parts (a quarterly allowance's next payment is three months away, not one)."""
    w = wording(locale)
    values = {"programme": programme, "amount": w.money(amount), "cycle": w.cycle(cycle)}
    if channel is None:
        text = translate(locale, "%(programme)s: %(amount)s for %(cycle)s has reached your account.", **values)
    else:
        text = translate(
            locale,
            "%(programme)s: %(amount)s for %(cycle)s has reached your %(channel)s account.",
            channel=channel_label(locale, channel),
            **values,
        )
    if expected is None:
        return text
    with_next = f"{text} {expected_payment_sentence(locale, expected)}"
    return with_next if segments(with_next).segments <= 2 else text


def payment_failed(locale: str, programme: str, amount: Decimal, cycle: str, reason: str, office: str) -> str:
    """``reason`` and ``office`` as registry.labels says them on every channel
    (failure_reason_label, office_name); the words are registry.labels.PaymentProblem's."""
    return PaymentProblem(locale, PaymentStatus.FAILED, reason, office).alert(programme, amount, cycle)


def payment_returned(locale: str, programme: str, amount: Decimal, cycle: str, reason: str, office: str) -> str:
    return PaymentProblem(locale, PaymentStatus.RETURNED, reason, office).alert(programme, amount, cycle)


def etoken_credited(
    locale: str, programme: str, amount: Decimal, unit: str, balance: Decimal, expires_on: dt.date | None
) -> str:
    w = wording(locale)
    values = {
        "programme": programme,
        "amount": w.number(amount),
        "balance": w.number(balance),
        "unit": unit_label(locale, unit),
    }
    if expires_on is None:
        return translate(
            locale, "%(programme)s: %(amount)s %(unit)s e-token credited. Balance %(balance)s %(unit)s.", **values
        )
    return translate(
        locale,
        "%(programme)s: %(amount)s %(unit)s e-token credited. Balance %(balance)s %(unit)s, valid until %(date)s.",
        date=w.day(expires_on, short=True),
        **values,
    )


def payment_sent(locale: str, programme: str, amount: Decimal, cycle: str, channel: PaymentChannel | None) -> str:
    """Campaign: this cycle's payment is on its way."""
    w = wording(locale)
    values = {"programme": programme, "amount": w.money(amount), "cycle": w.cycle(cycle)}
    if channel is None:
        return translate(locale, "%(programme)s: %(amount)s for %(cycle)s has been sent to you.", **values)
    return translate(
        locale,
        "%(programme)s: %(amount)s for %(cycle)s has been sent to your %(channel)s account.",
        channel=channel_label(locale, channel),
        **values,
    )


def payment_scheduled(locale: str, programme: str, amount: Decimal, cycle: str) -> str:
    """Campaign: this cycle's payment is coming."""
    w = wording(locale)
    return translate(
        locale,
        "%(programme)s: %(amount)s for %(cycle)s will be paid soon. You will get an SMS when it is sent.",
        programme=programme,
        amount=w.money(amount),
        cycle=w.cycle(cycle),
    )


def information_request(locale: str, number: str, question: str) -> str:
    """An officer's question about a complaint, word for word: nothing is cut, so the officer
    must see its parts count (outbound_sms.encoding) and shorten it when it is too long."""
    return translate(
        locale,
        "Complaint %(number)s: the office asks: %(question)s To answer, send INFO %(number)s and your answer.",
        number=wording(locale).digits(number),
        question=question,
    )
