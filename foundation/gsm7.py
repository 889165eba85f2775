"""The GSM 03.38 7-bit alphabet, and how text is counted on the air (USSD and SMS alike).

GSM-7 text counts septets, extension characters (``€``, ``[``, ``{`` …) taking two; as soon
as one character is outside GSM-7 (every Bangla letter is) the whole text is UCS-2 and
counts UTF-16 code units.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def utf16_units(text: str) -> int:
    # A lone surrogate (text sliced through a pair, or decoded with surrogateescape) still
    # takes one code unit on the air; counting it must not raise. Valid text counts the same.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


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
