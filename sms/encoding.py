"""How many SMS segments a text costs: GSM-7 160 a single message, 153 per part when
concatenated (extension characters count twice); UCS-2 70, then 67 per part, in UTF-16
code units. A Bangla alert is UCS-2, so it must stay short."""

from __future__ import annotations

from dataclasses import dataclass

from sahayata.gsm7 import gsm7_septets, utf16_units

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Encoded:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets, or UTF-16 code units
    segments: int


def segments(text: str) -> Encoded:
    septets = gsm7_septets(text)
    if septets is not None:
        encoding, units, single, part = "GSM-7", septets, GSM7_SINGLE, GSM7_PART
    else:
        encoding, units, single, part = "UCS-2", utf16_units(text), UCS2_SINGLE, UCS2_PART
    if units <= single:
        return Encoded(encoding, units, 1)
    return Encoded(encoding, units, -(-units // part))
