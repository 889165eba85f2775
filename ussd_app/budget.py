"""How much text one USSD screen can carry, counted the way the network counts it.

A screen is 160 octets: 160 GSM-7 characters, or 80 UTF-16 code units once any character is
outside GSM-7 (foundation/gsm7.py). Gateways often cap lower, so limits are per gateway.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

from foundation.gsm7 import gsm7_septets, utf16_units


class Size(NamedTuple):
    """What a text costs on the air, in counts that add up: the text a + b has the size
    ``a.plus(b)``, so a page's size is the sum of its parts' and cutting need not measure
    every candidate page afresh, character by character."""

    septets: int  # GSM-7 septets, should the whole text be GSM-7
    foreign: int  # characters without a GSM-7 form (one makes the screen UCS-2); 0 or more
    units: int  # UTF-16 code units
    non_ascii: int  # characters outside ASCII; 0 or more

    def plus(self, other: Size) -> Size:
        return Size(
            self.septets + other.septets,
            self.foreign + other.foreign,
            self.units + other.units,
            self.non_ascii + other.non_ascii,
        )


EMPTY = Size(0, 0, 0, 0)
NEWLINE = Size(1, 0, 1, 0)  # what joins a screen's lines


@functools.lru_cache(maxsize=8192)  # words and options recur on every screen
def size_of(text: str) -> Size:
    septets = gsm7_septets(text)
    return Size(septets or 0, int(septets is None), utf16_units(text), int(not text.isascii()))


@dataclass(frozen=True)
class Measure:
    encoding: str  # "GSM-7" or "UCS-2"
    used: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.used <= self.limit

    def __str__(self) -> str:
        return f"{self.used}/{self.limit}"


@dataclass(frozen=True)
class ScreenBudget:
    gsm7_limit: int = 160
    ucs2_limit: int = 80
    ascii_only: bool = False  # e.g. bdapps: "no Bengali script"

    def measure(self, text: str) -> Measure:
        septets = gsm7_septets(text)
        if septets is not None:
            return Measure("GSM-7", septets, self.gsm7_limit)
        return Measure("UCS-2", utf16_units(text), self.ucs2_limit)

    def fits(self, text: str) -> bool:
        if self.ascii_only and not text.isascii():
            return False
        return self.measure(text).fits

    def fits_size(self, septets: int, foreign: int, units: int, non_ascii: int) -> bool:
        """``fits`` for a text of this size (budget.Size)."""
        if self.ascii_only and non_ascii:
            return False
        return septets <= self.gsm7_limit if not foreign else units <= self.ucs2_limit
