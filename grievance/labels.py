"""Complaint categories and statuses as people read them, in their language: one place for
USSD, SMS and the staff workspace."""

from __future__ import annotations

import re
from collections.abc import Mapping

from foundation.i18n import translate
from foundation.wording import wording
from grievance.models import Category, OfficeLevel, Status


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


# -- the trail's own notes ------------------------------------------------------------------
# The notes the routing and deadline jobs write (grievance.jobs, grievance.status) are for
# the trail's readers; these turn them into sentences of the reader's language. A note of
# another shape is what a person wrote, and is shown as written.
_ROUTED = re.compile(r"to (?P<ministry>\S+) \((?P<level>\w+)\)(?:, also (?P<also>\S+?))?(?:: (?P<reasons>.*))?", re.S)
_ESCALATED = re.compile(r"deadline passed: escalated to tier (?P<tier>\d+)")
_NOT_RESOLVED = re.compile(r"not resolved, said the citizen by (?P<by>\w+)")
_BRIBE_REPORT = re.compile(r"filed as \w+; its text reports a demand for money: a bribe report")
_SENSITIVE = "sensitive: never to the local office that may be accused"
_NO_PLACE = "no place known: the ministry's grievance redress officer"


def office_label(locale: str, level: OfficeLevel | str) -> str:
    return {
        OfficeLevel.UPAZILA: translate(locale, "the upazila office"),
        OfficeLevel.DISTRICT: translate(locale, "the district office"),
        OfficeLevel.MINISTRY_GRO: translate(locale, "the ministry's grievance redress officer"),
    }[OfficeLevel(level)]


def trail_note(locale: str, note: str, ministry_names: Mapping[str, str]) -> str:
    """A trail entry's note as a sentence: "Sent to the upazila office of the Ministry of
    Social Welfare; also to the Finance Division." rather than "to MOSW (upazila), also FD:
    lead ministry (programmes.csv)" (the rule's seed-file remark is for whoever edits it)."""
    w = wording(locale)
    if found := _ROUTED.fullmatch(note):
        if found["level"] not in OfficeLevel.__members__.values():
            return note
        ministry = ministry_names.get(found["ministry"], found["ministry"])
        text = translate(
            locale, "Sent to %(office)s of %(ministry)s", office=office_label(locale, found["level"]), ministry=ministry
        )
        if found["also"]:
            also = ministry_names.get(found["also"], found["also"])
            text += translate(locale, "; also to %(ministry)s", ministry=also)
        reasons = found["reasons"] or ""
        if _SENSITIVE in reasons:
            text += translate(locale, ", never to the local office that may be accused")
        elif _NO_PLACE in reasons:
            text += translate(locale, ": no place is known")
        return w.sentence(text)
    if found := _ESCALATED.fullmatch(note):
        return w.sentence(
            translate(locale, "The deadline passed: raised to tier %(tier)s", tier=w.number(int(found["tier"])))
        )
    if _NOT_RESOLVED.fullmatch(note):
        return w.sentence(translate(locale, "The citizen said it is not resolved"))
    if _BRIBE_REPORT.fullmatch(note):
        return w.sentence(translate(locale, "Its text reports a demand for money: treated as a bribe report"))
    return note
