"""Registry values as a citizen reads them, in their language: one place for USSD and SMS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from registry.models import PaymentChannel, PaymentStatus
from sahayata.i18n import format_number, to_bengali_digits, translate


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


def unit_label(locale: str, unit: str) -> str:
    """E-token units the registry knows are translated; any other is shown as imported."""
    return {"kg rice": translate(locale, "kg rice"), "voucher": translate(locale, "voucher")}.get(unit, unit)


def wallet_sentence(locale: str, programme: str, balance: Decimal, unit: str, expires_on: dt.date | None) -> str:
    """ "Food Friendly: 30 kg rice, valid until 31/12/2026." for USSD screens and SMS answers;
    Bengali digits and a দাঁড়ি in Bangla script."""
    bangla = locale == "bn"
    line = f"{programme}: {format_number(balance, 'bn' if bangla else 'en')} {unit_label(locale, unit)}"
    if expires_on:
        date = expires_on.strftime("%d/%m/%Y")
        line += ", " + translate(locale, "valid until %(date)s", date=to_bengali_digits(date) if bangla else date)
    return line + ("।" if bangla else ".")
