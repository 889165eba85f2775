"""Registry values as a citizen reads them, in their language: one place for USSD and SMS."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from foundation.i18n import format_day, format_number, translate
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
    bangla = locale == "bn"
    line = f"{programme}: {format_number(balance, 'bn' if bangla else 'en')}"
    if label := unit_label(locale, unit):
        line += f" {label}"
    if expires_on:
        line += ", " + translate(locale, "valid until %(date)s", date=format_day(expires_on, locale))
    return line + ("।" if bangla else ".")


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


def payment_advice(locale: str, payment: PaymentView, programme: ProgrammeInfo | None) -> str | None:
    """What went wrong with a failed or returned payment and which office to contact
    ("It failed: the account is inactive. Contact the Upazila Food Office."), for USSD and
    SMS alike; None for a payment that did not fail."""
    reason = failure_reason_label(locale, payment.failure_reason)
    office = office_name(locale, programme)
    if payment.status is PaymentStatus.FAILED:
        return translate(locale, "It failed: %(reason)s. Contact the %(office)s.", reason=reason, office=office)
    if payment.status is PaymentStatus.RETURNED:
        return translate(
            locale, "It was returned: %(reason)s. Update your account at the %(office)s.", reason=reason, office=office
        )
    return None
