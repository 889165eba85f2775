"""How many SMS parts a text costs, as the standard splits it and as the provider bills it.

A text that fits one message (160 GSM-7 septets, or 70 UTF-16 code units in UCS-2) is one
part. Longer, each part carries a 6-octet concatenation header and holds 153 septets or 67
code units (3GPP TS 23.040, 9.2.3.24.1). A part may not end between the escape septet and
the character of a GSM-7 extension pair (TS 23.038, 6.2.1.1) nor between the two halves of
a UTF-16 surrogate pair (TS 23.038, 5: UCS-2 parts are read alone, so a half is garbage), so
a part is packed greedily with whole characters and may end a unit short.

Twilio goes further and never splits a grapheme cluster (a Bangla conjunct with its vowel
sign, an emoji with its modifiers): Twilio's own Messaging Segment Calculator, which it
publishes as the way it counts billed segments, cuts the body into grapheme clusters and
packs only whole clusters into each segment
(https://twiliodeved.github.io/message-segment-calculator/, source
github.com/TwilioDevEd/message-segment-calculator, src/libs/SegmentedMessage.ts:
``splitter.splitGraphemes`` then ``_buildSegments``; see also
https://support.twilio.com/hc/en-us/articles/223134227-Can-I-send-and-receive-emoji-with-Twilio).
Kannel, the console and everything else follow the standard.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass

import regex
from flask import current_app, has_app_context

from foundation.gsm7 import GSM7_EXTENSION, gsm7_septets, utf16_units

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
GRAPHEME = regex.compile(r"\X")


class Billing(enum.StrEnum):
    STANDARD = "standard"  # whole characters per part (3GPP TS 23.038/23.040)
    TWILIO = "twilio"  # whole grapheme clusters per part


@dataclass(frozen=True)
class Encoded:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets, or UTF-16 code units
    segments: int


def billing_for(provider: str | None) -> Billing:
    """How ``provider`` (a name from outbound_sms.providers) counts parts."""
    return Billing.TWILIO if provider == "twilio" else Billing.STANDARD


def configured_billing() -> Billing:
    """The count of the provider that sends alerts (SMS_PROVIDER); outside an app, the standard."""
    if not has_app_context():
        return Billing.STANDARD
    return billing_for(current_app.config.get("SMS_PROVIDER"))


def segments(text: str, provider: str | None = None) -> Encoded:
    """What ``text`` costs through ``provider``; None means the configured alerts provider."""
    billing = billing_for(provider) if provider else configured_billing()
    return count_parts(text, billing)


def strictest(text: str) -> Encoded:
    """The count of whichever provider would bill the most parts, for a text that may go
    out through any of them. Twilio's rule only ever merges cut points away, so it is that."""
    return count_parts(text, Billing.TWILIO)


# Pure, and asked twice of most texts (a notice fitting its text, then the message recording
# its parts): the last few answers are kept.
@functools.lru_cache(maxsize=256, typed=True)  # a plain "twilio" is no Billing
def count_parts(text: str, billing: Billing = Billing.STANDARD) -> Encoded:
    septets = gsm7_septets(text)
    if septets is not None:
        encoding, units, single, part = "GSM-7", septets, GSM7_SINGLE, GSM7_PART
        cost = _septets
    else:
        encoding, units, single, part = "UCS-2", utf16_units(text), UCS2_SINGLE, UCS2_PART
        cost = utf16_units
    if units <= single:
        return Encoded(encoding, units, 1)
    # Every Bangla letter, and GSM-7 without extension characters, costs one unit a
    # character: an atom then costs its length, and whole characters pack without waste.
    if units == len(text):
        if billing is Billing.STANDARD:
            return Encoded(encoding, units, -(-units // part))
        cost = len
    atoms = _graphemes(text) if billing is Billing.TWILIO else text
    return Encoded(encoding, units, _pack(map(cost, atoms), part))


def _septets(char: str) -> int:
    return sum(2 if c in GSM7_EXTENSION else 1 for c in char)


def _graphemes(text: str) -> Iterable[str]:
    """Grapheme clusters; one longer than a whole part (a pile of combining marks) cannot be
    kept whole by anyone, so it is cut into characters."""
    for cluster in GRAPHEME.findall(text):
        # A character is at most two units: a short cluster fits a part, uncounted.
        if 2 * len(cluster) > UCS2_PART and utf16_units(cluster) > UCS2_PART:
            yield from cluster
        else:
            yield cluster


def _pack(costs: Iterable[int], capacity: int) -> int:
    """Parts needed when each atom goes whole into the current part or starts the next."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts, used = parts + 1, 0
        used += cost
    return parts
