"""Alert texts, from gettext, in the citizen's language; each at most 2 segments in Bangla."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from foundation.gsm7 import gsm7_septets
from foundation.i18n import translate
from foundation.wording import wording
from grievance.labels import status_sentence
from outbound_sms.encoding import GRAPHEME, segments, strictest
from registry.labels import PaymentProblem, channel_label, unit_label
from registry.models import PaymentChannel, PaymentStatus
from registry.schedule_labels import expected_payment_sentence
from registry.schedules import ExpectedPayment

RESOLUTION_MAX_PARTS = 2
# Where a cut note ends: "…" in UCS-2, where it costs one unit; three dots in GSM-7, which
# has no ellipsis (one would turn the whole SMS into UCS-2 and cost it half its room).
ELLIPSIS, GSM7_ELLIPSIS = "…", "..."
# A cut note ends at a word when one ends this close to the cut, else mid-word.
_WORD_CUT_REACH = 15


def complaint_update(locale: str, number: str, status: str, note: str | None = None) -> str:
    """The text for a complaint's status change (grievance outbox entries); "marked resolved"
    carries the officer's ``note`` when there is one (``complaint_resolved``)."""
    n = wording(locale).digits(number)
    if status == "received":
        return translate(
            locale, "Complaint %(number)s received. We will tell you when an office takes it up.", number=n
        )
    if status == "routed":
        return translate(locale, "Complaint %(number)s has been sent to the office responsible.", number=n)
    if status == "resolved":
        return complaint_resolved(locale, number, note)
    return status_sentence(locale, number, status)


def complaint_resolved(locale: str, number: str, note: str | None) -> str:
    """ "Complaint X is marked resolved: <note>. Is it? Reply 1 for yes, 2 for no." in at most
    2 parts as the strictest provider bills them (the provider may change before it is sent).
    A note too long for that is cut, at a word where one ends near the cut, and ends in an
    ellipsis; the question and the reply instruction are never cut."""
    n = wording(locale).digits(number)
    said = sms_note(note)

    def text(words: str) -> str:
        return translate(
            locale,
            "Complaint %(number)s is marked resolved: %(note)s. Is it? Reply 1 for yes, 2 for no.",
            number=n,
            note=words,
        )

    without_note = translate(
        locale, "Complaint %(number)s is marked resolved. Is it? Reply 1 for yes, 2 for no.", number=n
    )
    if not said:
        return without_note
    if _fits(text(said)):
        return text(said)
    clusters = GRAPHEME.findall(said)
    # The longest cut that fits, by bisection: a longer cut never needs fewer parts.
    low, high = 0, len(clusters) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(text(_cut(clusters, middle, text))):
            low = middle
        else:
            high = middle - 1
    words = _cut(clusters, low, text, at_word=True)
    if not words.rstrip(ELLIPSIS + GSM7_ELLIPSIS) or not _fits(text(words)):
        return without_note  # not even a word of the note fits beside the question
    return text(words)


def sms_note(note: str | None) -> str:
    """An officer's note as one line for an SMS: whitespace runs as one space, and without a
    closing full stop or দাঁড়ি (the sentence around it ends the note)."""
    return " ".join((note or "").split()).rstrip(".।").rstrip()


def _fits(text: str) -> bool:
    return strictest(text).segments <= RESOLUTION_MAX_PARTS


def _cut(clusters: list[str], keep: int, text: Callable[[str], str], at_word: bool = False) -> str:
    """The note's first ``keep`` grapheme clusters (never half a conjunct or an emoji) and an
    ellipsis; with ``at_word``, back to the end of a word when one ends close by."""
    kept = "".join(clusters[:keep])
    if at_word:
        space = kept.rfind(" ")
        if space > 0 and len(kept) - space <= _WORD_CUT_REACH:
            kept = kept[:space]
    kept = kept.rstrip(" ,;:.।-")
    ellipsis = GSM7_ELLIPSIS if gsm7_septets(text(kept)) is not None else ELLIPSIS
    return kept + ellipsis


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
