"""Registry values as a citizen reads them, in their language: one place for USSD, SMS
replies and alerts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from foundation.i18n import translate
from foundation.wording import wording
from registry.models import PaymentChannel, PaymentStatus

if TYPE_CHECKING:
    from registry.eligibility.engine import ProgrammeInfo
    from registry.services import PaymentView


def channel_label(locale: str, channel: PaymentChannel | None) -> str:
    if channel is None:
        return ""
    return {
        "bkash": translate(locale, "bKash"),
        "nagad": translate(locale, "Nagad"),
        "rocket": translate(locale, "Rocket"),
        "post_office": translate(locale, "post office"),
        "bank": translate(locale, "bank"),
        "agent_banking": translate(locale, "agent banking"),
    }[channel.value]


def payment_status_label(locale: str, status: PaymentStatus) -> str:
    return {
        "scheduled": translate(locale, "scheduled"),
        "sent": translate(locale, "sent"),
        "credited": translate(locale, "credited"),
        "failed": translate(locale, "failed"),
        "returned": translate(locale, "returned"),
    }[status.value]


# -- e-token units --------------------------------------------------------------------------
def _measure(locale: str, word: str) -> str | None:
    return {
        "kg": translate(locale, "kg"),
        "litre": translate(locale, "litre"),
        "voucher": translate(locale, "voucher"),
    }.get(word)


def _commodity(locale: str, word: str) -> str | None:
    return {
        "rice": translate(locale, "rice"),
        "wheat": translate(locale, "wheat"),
        "lentils": translate(locale, "lentils"),
        "oil": translate(locale, "oil"),
    }.get(word)


def unit_label(locale: str, unit: str) -> str:
    """An imported e-token unit ("kg rice", "kg", "voucher") in words of the locale: "কেজি চাল".

    A measure or commodity the registry does not know stays as imported in English only;
    a Bangla screen drops it rather than show an English word ("৩০ কেজি", not "৩০ kg")."""
    if unit == "kg rice":  # the one phrase with a reviewed translation of its own
        return translate(locale, "kg rice")
    words = unit.split()
    known = [_measure(locale, w) if i == 0 else _commodity(locale, w) for i, w in enumerate(words)]
    if locale == "en":
        return " ".join(label or word for label, word in zip(known, words, strict=True))
    return " ".join(label for label in known if label)


def wallet_sentence(locale: str, programme: str, balance: Decimal, unit: str, expires_on: dt.date | None) -> str:
    """ "Food Friendly: 30 kg rice, valid until 31 December 2026." for USSD screens and SMS
    answers; Bengali digits, a month name and a দাঁড়ি in Bangla script."""
    w = wording(locale)
    line = f"{programme}: {w.quantity(balance, unit_label(locale, unit))}"
    if expires_on:
        line += ", " + w._("valid until %(date)s", date=w.day(expires_on))
    return w.sentence(line)


def no_etokens(locale: str) -> str:
    return translate(locale, "You have no e-tokens.")


# -- payments -------------------------------------------------------------------------------
def no_cash_programme(locale: str) -> str:
    return translate(locale, "No cash programme found for you.")


def payment_date(locale: str, payment: PaymentView) -> str:
    """When a payment was made, by its day ("১২ অক্টো ২০২৬"), else by its month."""
    w = wording(locale)
    return w.day(payment.paid_on, short=True) if payment.paid_on else w.cycle(payment.cycle)


def scheduled_payment_sentence(locale: str, payment: PaymentView) -> str:
    """ "Next: Tk 600 in December 2026." for a payment imported as scheduled."""
    w = wording(locale)
    return w._("Next: %(amount)s in %(cycle)s.", amount=w.money(payment.amount_bdt), cycle=w.cycle(payment.cycle))


# -- payment failures -----------------------------------------------------------------------
# The reasons a provider gives for a failed or returned payment, as codes, and the phrases
# seen in providers' files (and the demo data) that mean the same. Imports keep whatever text
# the provider sent; what citizens read is always one of these, translated.
FAILURE_REASONS = (
    "account_closed",
    "account_inactive",
    "account_invalid",
    "wallet_not_found",
    "name_mismatch",
    "nid_mismatch",
    "limit_exceeded",
)
_FAILURE_PHRASES = {
    "account_closed_by_the_bank": "account_closed",
    "wallet_account_inactive": "account_inactive",
    "account_dormant": "account_inactive",
    "account_number_invalid": "account_invalid",
    "invalid_account_number": "account_invalid",
    "wallet_limit_exceeded": "limit_exceeded",
    "nid_and_mobile_account_holder_mismatch": "nid_mismatch",
    "account_holder_name_mismatch": "name_mismatch",
    "wallet_not_registered": "wallet_not_found",
}


def failure_reason_code(reason: str | None) -> str | None:
    """The vocabulary's code for a provider's reason; None when it is not one we know."""
    if not reason:
        return None
    key = re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")
    return key if key in FAILURE_REASONS else _FAILURE_PHRASES.get(key)


def failure_reason_label(locale: str, reason: str | None) -> str:
    """Why a payment did not arrive, in the citizen's language; a reason we do not know
    reads as a translated generic one, never as the provider's English."""
    return {
        "account_closed": translate(locale, "the account is closed"),
        "account_inactive": translate(locale, "the account is inactive"),
        "account_invalid": translate(locale, "the account number is wrong"),
        "wallet_not_found": translate(locale, "no wallet on this number"),
        "name_mismatch": translate(locale, "the name does not match the account"),
        "nid_mismatch": translate(locale, "the NID does not match the account holder"),
        "limit_exceeded": translate(locale, "the account's limit was reached"),
    }.get(failure_reason_code(reason) or "", translate(locale, "the provider could not pay it"))


def office_name(locale: str, programme: ProgrammeInfo | None) -> str:
    """The office a programme's citizens go to, in their language."""
    names = programme.office if programme else {}
    return names.get(locale) or names.get("en") or translate(locale, "your Upazila office")


@dataclass(frozen=True)
class PaymentProblem:
    """Why a failed or returned payment did not arrive and which office to see, in the
    citizen's words: the one home of these texts for USSD, SMS replies and SMS alerts."""

    locale: str
    status: PaymentStatus  # failed or returned
    reason: str  # failure_reason_label
    office: str  # office_name

    def advice(self) -> str:
        """ "It failed: the account is inactive. Contact the Upazila Food Office." (USSD, SMS replies)."""
        w = wording(self.locale)
        if self.status is PaymentStatus.FAILED:
            return w._("It failed: %(reason)s. Contact the %(office)s.", reason=self.reason, office=self.office)
        return w._(
            "It was returned: %(reason)s. Update your account at the %(office)s.",
            reason=self.reason,
            office=self.office,
        )

    def alert(self, programme: str, amount: Decimal, cycle: str) -> str:
        """The alert that says it: the payment, then the advice, shorter than ``advice`` (an
        alert names the payment too and must keep 2 parts)."""
        w = wording(self.locale)
        values = {
            "programme": programme,
            "amount": w.money(amount),
            "cycle": w.cycle(cycle),
            "reason": self.reason,
            "office": self.office,
        }
        if self.status is PaymentStatus.FAILED:
            return w._(
                "%(programme)s: %(amount)s for %(cycle)s did not arrive (%(reason)s). Contact the %(office)s.",
                **values,
            )
        return w._(
            "%(programme)s: %(amount)s for %(cycle)s was returned (%(reason)s). Contact the %(office)s.",
            **values,
        )


def payment_problem(
    locale: str, status: PaymentStatus, failure_reason: str | None, programme: ProgrammeInfo | None
) -> PaymentProblem | None:
    """The problem of a failed or returned payment; None for a payment that did not fail."""
    if status not in (PaymentStatus.FAILED, PaymentStatus.RETURNED):
        return None
    return PaymentProblem(locale, status, failure_reason_label(locale, failure_reason), office_name(locale, programme))


def payment_advice(locale: str, payment: PaymentView, programme: ProgrammeInfo | None) -> str | None:
    """What went wrong with a failed or returned payment and which office to contact, for
    USSD and SMS alike; None for a payment that did not fail."""
    problem = payment_problem(locale, payment.status, payment.failure_reason, programme)
    return problem.advice() if problem else None
