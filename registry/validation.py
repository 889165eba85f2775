"""Validation and normalisation of registry fields (NID, mobile, dates, codes).

Each parser takes the raw text (as typed or as found in a CSV) and returns the clean value
or raises ``InvalidValue`` with a reason a data officer can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import phonenumbers

from foundation.i18n import has_foreign_digits, to_ascii_digits


class InvalidValue(ValueError):
    """A field value that cannot be accepted; ``str(exc)`` is the reason."""


NID_LENGTHS = (10, 13, 17)
_NID_SEPARATORS = re.compile(r"[\s-]")
# [0-9], never \d: in Python \d matches the digits of every script (١, ３), and a number
# written with them would become a second, different NID or phone number.
_DIGITS = re.compile(r"[0-9]+")
# Bangladesh mobile numbers: country code 880, then 1, an operator digit 3-9, 8 digits.
E164_BD_MOBILE = re.compile(r"\+8801[3-9][0-9]{8}")
# The shapes almost every registry file uses; matched here without phonenumbers' full
# parser, whose cost per call dominated a large import. The result is the
# same E.164 string phonenumbers gives; tests/registry/test_validation.py checks that.
_COMMON_BD_MOBILE = re.compile(r"(?:\+?880|0)?(1[3-9][0-9]{8})")


def parse_nid(raw: str, date_of_birth: dt.date | None = None) -> str:
    """A National ID: 10 (smart card), 13 (old) or 17 digits (birth year + 13 digits)."""
    nid = to_ascii_digits(_NID_SEPARATORS.sub("", raw or ""))
    if not nid:
        raise InvalidValue("NID is missing")
    if not _DIGITS.fullmatch(nid):
        raise InvalidValue("NID must contain digits only")
    if len(nid) not in NID_LENGTHS:
        raise InvalidValue(f"NID must have 10, 13 or 17 digits, not {len(nid)}")
    if len(nid) == 17 and date_of_birth is not None and nid[:4] != f"{date_of_birth.year:04d}":
        raise InvalidValue("a 17-digit NID starts with the birth year, which does not match date_of_birth")
    return nid


def normalise_mobile(raw: str) -> str:
    """Any common way of writing a Bangladeshi mobile number -> E.164 ``+8801[3-9]XXXXXXXX``."""
    text = to_ascii_digits((raw or "").strip())
    if not text:
        raise InvalidValue("mobile number is missing")
    if has_foreign_digits(text):  # phonenumbers would read ١ as 1: a second "number" for one phone
        raise InvalidValue("not a phone number (digits must be 0-9 or ০-৯)")
    compact = re.sub(r"[\s\-().]", "", text)
    fast = _COMMON_BD_MOBILE.fullmatch(compact)
    if fast:
        return "+880" + fast.group(1)
    try:
        number = phonenumbers.parse(text, "BD")
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(f"not a phone number ({exc.args[0] if exc.args else 'unparseable'})") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code != 880 or not E164_BD_MOBILE.fullmatch(e164):
        raise InvalidValue("not a Bangladeshi mobile number (+8801[3-9] and 8 more digits)")
    return e164


def normalise_optional_mobile(raw: str) -> str | None:
    return normalise_mobile(raw) if (raw or "").strip() else None


def required_text(raw: str, *, field: str, max_length: int) -> str:
    value = (raw or "").strip()
    if not value:
        raise InvalidValue(f"{field} is missing")
    if len(value) > max_length:
        raise InvalidValue(f"{field} is longer than {max_length} characters")
    return value


def optional_text(raw: str, *, field: str, max_length: int, compact: bool = False) -> str | None:
    """Stripped text or None; ``compact`` also removes inner spaces (account numbers)."""
    value = (raw or "").strip()
    if compact:
        value = value.replace(" ", "")
    if len(value) > max_length:
        raise InvalidValue(f"{field} is longer than {max_length} characters")
    return value or None


def parse_date(raw: str, *, field: str = "date", not_after: dt.date | None = None) -> dt.date:
    text = to_ascii_digits((raw or "").strip())
    if not text:
        raise InvalidValue(f"{field} is missing")
    if has_foreign_digits(text):
        raise InvalidValue(f"{field} must be an ISO date YYYY-MM-DD with digits 0-9 or ০-৯, not {text!r}")
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{field} must be an ISO date YYYY-MM-DD, not {text!r}") from None
    if value.year < 1900:
        raise InvalidValue(f"{field} is before 1900")
    if not_after is not None and value > not_after:
        raise InvalidValue(f"{field} is in the future")
    return value


def parse_optional_date(raw: str, *, field: str) -> dt.date | None:
    return parse_date(raw, field=field) if (raw or "").strip() else None


# A plain decimal number: digits, at most one point, no exponent. Decimal() alone would also
# read 1e-7, 1E+5 and 1_000, forms no payment file means and a reader of the file misreads.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_decimal(
    raw: str,
    *,
    field: str,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    places: int = 2,
) -> Decimal:
    """A number with at most ``places`` decimals (the column's scale: amounts to the paisa).
    More is refused, not rounded: 0.004 taka stored as 0.00 would be a silent change."""
    text = to_ascii_digits((raw or "").strip()).replace(",", "")
    if not text:
        raise InvalidValue(f"{field} is missing")
    if has_foreign_digits(text):
        raise InvalidValue(f"{field} must be a number with digits 0-9 or ০-৯, not {text!r}")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise InvalidValue(f"{field} must be a plain number such as 1500 or 1500.50, not {text[:40]!r}")
    value = Decimal(text)
    if minimum is not None and value < minimum:
        raise InvalidValue(f"{field} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise InvalidValue(f"{field} must be at most {maximum}")
    # Trailing zeros (600.000) change nothing; any other digit past the scale would be lost.
    if len(text.partition(".")[2].rstrip("0")) > places:
        raise InvalidValue(f"{field} has more than {places} decimal places, not {text[:40]!r}")
    return value


def parse_int(raw: str, *, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    text = to_ascii_digits((raw or "").strip())
    if not _DIGITS.fullmatch(text or "x"):
        raise InvalidValue(f"{field} must be a whole number, not {text!r}")
    if len(text) > 18:  # past any bound a field has (and int() refuses over 4,300 digits)
        raise InvalidValue(f"{field} must be between {minimum} and {maximum}")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidValue(f"{field} must be between {minimum} and {maximum}")
    return value


_TRUE = {"1", "y", "yes", "true", "t", "হ্যাঁ"}
_FALSE = {"0", "n", "no", "false", "f", "না", ""}


def parse_bool(raw: str, *, field: str) -> bool:
    text = (raw or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"{field} must be yes/no (1/0), not {raw!r}")


def parse_choice(raw: str, choices: dict[str, object], *, field: str) -> object:
    """Look ``raw`` up case-insensitively in ``choices`` (keys lower-case)."""
    key = (raw or "").strip().lower()
    try:
        return choices[key]
    except KeyError:
        allowed = ", ".join(sorted({k for k in choices if k}))
        raise InvalidValue(f"{field} must be one of {allowed}, not {raw!r}") from None


_CYCLE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def parse_cycle(raw: str) -> str:
    text = to_ascii_digits((raw or "").strip())
    if not _CYCLE.fullmatch(text):
        raise InvalidValue(f"cycle must look like 2026-07, not {raw!r}")
    return text
