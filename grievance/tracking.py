"""Tracking numbers: digits only, at most 10, the last a Damm check digit.

Damm's algorithm catches every single mistyped digit and every swap of two neighbouring
digits, the two commonest keypad slips, so a mistyped number is refused instead of
finding someone else's complaint. Numbers are random, not sequential, so they cannot be
walked through.
"""

from __future__ import annotations

import secrets

# The weakly totally anti-symmetric quasigroup of order 10 from Damm (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
BODY_DIGITS = 8  # 8 random digits + 1 check digit = 9 digits, short enough to type and quote


def check_digit(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def is_valid(number: str) -> bool:
    return number.isascii() and number.isdigit() and 2 <= len(number) <= 10 and check_digit(number) == "0"


def new_tracking_number() -> str:
    body = str(secrets.randbelow(9 * 10 ** (BODY_DIGITS - 1)) + 10 ** (BODY_DIGITS - 1))  # no leading zero
    return body + check_digit(body)
