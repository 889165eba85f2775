"""Alert texts, from gettext, in the citizen's language; each at most 2 segments in Bangla."""

from __future__ import annotations

from sahayata.i18n import to_bengali_digits, translate


def _digits(text: str, locale: str) -> str:
    return to_bengali_digits(text) if locale == "bn" else text


def complaint_update(locale: str, number: str, status: str) -> str:
    """The text for a complaint's status change (grievance outbox entries)."""
    n = _digits(number, locale)
    if status == "received":
        return translate(
            locale, "Complaint %(number)s received. We will tell you when an office takes it up.", number=n
        )
    if status == "routed":
        return translate(locale, "Complaint %(number)s has been sent to the office responsible.", number=n)
    if status == "resolved":
        return translate(locale, "Complaint %(number)s is marked resolved. Is it? Reply 1 for yes, 2 for no.", number=n)
    label = complaint_status_label(locale, status)
    return translate(locale, "Complaint %(number)s: %(status)s.", number=n, status=label)


def complaint_status_label(locale: str, status: str) -> str:
    return {
        "received": translate(locale, "received"),
        "routed": translate(locale, "sent to the office"),
        "acknowledged": translate(locale, "seen by the office"),
        "in_progress": translate(locale, "being worked on"),
        "resolved": translate(locale, "resolved"),
        "closed": translate(locale, "closed"),
        "reopened": translate(locale, "reopened"),
        "appealed": translate(locale, "under appeal"),
        "transferred": translate(locale, "being transferred"),
        "rejected": translate(locale, "rejected"),
    }.get(status, status)
