"""Complaint categories and statuses as people read them, in their language: one place for
USSD, SMS and the staff workspace."""

from __future__ import annotations

from foundation.i18n import translate
from foundation.wording import wording
from grievance.models import Category, Status


def category_label(locale: str, category: Category) -> str:
    return {
        Category.PAYMENT_NOT_RECEIVED: translate(locale, "Payment not received"),
        Category.AMOUNT_SHORT: translate(locale, "Paid less than due"),
        # "Asked for money" is a bribe report: with "paid less" it reached the accused office.
        Category.BRIBE_OR_HARASSMENT: translate(locale, "Bribe or money asked, or harassed"),
        Category.EXCLUDED: translate(locale, "Left out of a programme"),
        Category.ETOKEN_REFUSED: translate(locale, "Dealer refused e-token"),
        Category.DEALER_MISCONDUCT: translate(locale, "Dealer misconduct"),
        Category.WRONG_DATA: translate(locale, "Wrong personal data"),
        Category.OTHER: translate(locale, "Other"),
        Category.ETOKEN_TAKEN: translate(locale, "E-token taken without me"),
    }[Category(category)]


def status_label(locale: str, status: Status | str) -> str:
    return {
        Status.RECEIVED: translate(locale, "received"),
        Status.ROUTED: translate(locale, "sent to the office"),
        Status.ACKNOWLEDGED: translate(locale, "seen by the office"),
        Status.IN_PROGRESS: translate(locale, "being worked on"),
        Status.RESOLVED: translate(locale, "resolved"),
        Status.CLOSED: translate(locale, "closed"),
        Status.REOPENED: translate(locale, "reopened"),
        Status.APPEALED: translate(locale, "under appeal"),
        Status.TRANSFERRED: translate(locale, "being transferred"),
        Status.REJECTED: translate(locale, "rejected"),
    }[Status(status)]


def filed_answer(locale: str, tracking_number: str, duplicate: bool) -> str:
    """What a citizen is told when a complaint is filed, on any channel."""
    number = wording(locale).digits(tracking_number)
    if duplicate:
        return translate(locale, "You filed this complaint today already. Its number is %(number)s.", number=number)
    return translate(locale, "Complaint received. Number %(number)s. Keep it to check the status.", number=number)


def no_such_complaint(locale: str) -> str:
    return translate(locale, "No complaint has this number.")


def status_sentence(locale: str, tracking_number: str, status: Status | str) -> str:
    """ "Complaint N: under appeal." (a status answer by SMS, and an update with no sentence of its own)."""
    number = wording(locale).digits(tracking_number)
    return translate(locale, "Complaint %(number)s: %(status)s.", number=number, status=status_label(locale, status))
