"""How much text one USSD screen can carry, counted the way the network counts it.

A screen is 160 octets: 160 GSM-7 characters, or 80 UTF-16 code units once any character is
outside GSM-7 (foundation/gsm7.py). Gateways often cap lower, so limits are per gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundation.gsm7 import gsm7_septets, utf16_units


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
