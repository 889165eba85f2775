"""The payment a programme's schedule expects next, as a citizen reads it: one sentence for
USSD, the SMS reply and the payment alerts, so no channel calls a quarterly allowance monthly."""

from __future__ import annotations

from foundation.i18n import translate
from foundation.wording import wording
from registry.schedules import ExpectedPayment, PaymentFrequency


def frequency_label(locale: str, frequency: PaymentFrequency) -> str:
    """Only schedules that pay in named months expect a payment, so only they need a word."""
    return {
        "monthly": translate(locale, "monthly"),
        "quarterly": translate(locale, "quarterly"),
        "yearly": translate(locale, "once a year"),
    }[frequency.value]


def expected_payment_sentence(locale: str, expected: ExpectedPayment, with_amount: bool = True) -> str:
    """ "Next: Tk 1,800 expected in January 2027 (quarterly)." The month is the schedule's,
    not a promise, and the frequency says why it is not next month; without ``with_amount``
    the shorter form an SMS reply has room for."""
    month = wording(locale).cycle(expected.cycle)
    frequency = frequency_label(locale, expected.frequency)
    if expected.amount_bdt is None or not with_amount:
        return translate(locale, "Next: expected in %(month)s (%(frequency)s).", month=month, frequency=frequency)
    amount = wording(locale).money(expected.amount_bdt)
    return translate(
        locale,
        "Next: %(amount)s expected in %(month)s (%(frequency)s).",
        amount=amount,
        month=month,
        frequency=frequency,
    )
