"""How much text one USSD screen can carry, counted the way the network counts it.

A screen is 160 octets: GSM-7 text counts septets (extension characters such as ``€`` or
``[`` take two), and as soon as one character is outside GSM-7 (every Bangla letter is) the
whole screen is UCS-2 and counts UTF-16 code units. Gateways often cap lower, so limits are
per gateway configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def gsm7_septets(text: str) -> int | None:
    """Septets needed in GSM-7, or None when a character has no GSM-7 form."""
    count = 0
    for char in text:
        if char in GSM7_BASIC:
            count += 1
        elif char in GSM7_EXTENSION:
            count += 2
        else:
            return None
    return count


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
