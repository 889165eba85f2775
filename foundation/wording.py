"""Text in one locale: translations and the numbers, money, quantities, months and days in it.

USSD screens, SMS replies, alerts and eligibility answers all write for one caller in one
locale; each takes a ``Wording`` for it (``wording("bn")``) instead of passing the locale to
every call. Bangla script (``bn``) shows Bengali digits and ends a sentence with a দাঁড়ি;
romanized Bangla and English show ASCII digits and a full stop. Units follow the number in
words of the locale ("৬০০ টাকা", "৩০ কেজি"), never "Tk" or "kg" in Bangla script.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from foundation.i18n import (
    ROMANIZED_BANGLA,
    format_cycle,
    format_day,
    format_month,
    format_number,
    to_bengali_digits,
    translate,
)


class Wording:
    """gettext and formatting bound to one locale; ``w._("…")`` keeps the strings extractable."""

    __slots__ = ("bangla_script", "locale")

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.bangla_script = locale == "bn"

    def __repr__(self) -> str:
        return f"Wording({self.locale!r})"

    @property
    def language(self) -> str:
        """The language whatever its script: romanized Bangla is Bangla (an SMS can carry the
        Bengali script that an ASCII-only USSD gateway cannot)."""
        return "bn" if self.locale == ROMANIZED_BANGLA else self.locale

    def _(self, message: str, **variables: object) -> str:
        return translate(self.locale, message, **variables)

    def digits(self, text: str) -> str:
        """Digits as they stand (a tracking number, a USSD code, a menu key), in the script's own."""
        return to_bengali_digits(text) if self.bangla_script else text

    def number(self, value: int | Decimal | float) -> str:
        """12,34,567 style grouping, Bengali digits in Bangla script."""
        return format_number(value, "bn" if self.bangla_script else "en")

    def year(self, value: int) -> str:
        """A year is digits without grouping ("২০১৯", never "২,০১৯")."""
        return self.digits(str(value))

    def money(self, amount: int | Decimal | float) -> str:
        """Whole taka with the unit after the number: "১,৫০০ টাকা", "Tk 1,500"."""
        return self._("Tk %(amount)s", amount=self.number(amount))

    def quantity(self, amount: int | Decimal | float, unit: str) -> str:
        """An amount and its unit, already in words of the locale ("৩০ কেজি চাল"); an empty unit
        (one a Bangla screen has no word for) leaves the number alone."""
        number = self.number(amount)
        return f"{number} {unit}" if unit else number

    def age(self, years: int) -> str:
        """ "বয়স ৭০ বছর" / "age 70 years"."""
        return self._("age %(age)s years", age=self.number(years))

    def month(self, year: int, month: int) -> str:
        """ "নভেম্বর ২০২৬" / "November 2026"."""
        return format_month(year, month, self.locale)

    def cycle(self, cycle: str) -> str:
        """A payment cycle written "2026-11" in the registry, as a month and year."""
        return format_cycle(cycle, self.locale)

    def day(self, day: dt.date, short: bool = False) -> str:
        """ "৫ নভেম্বর ২০২৬" (or with the short month, "৫ নভে ২০২৬", where a screen is tight)."""
        return format_day(day, self.locale, short=short)

    @property
    def full_stop(self) -> str:
        return "।" if self.bangla_script else "."

    def sentence(self, text: str) -> str:
        """End a sentence the way the script does: দাঁড়ি (।) in Bangla, a full stop otherwise."""
        return text + self.full_stop


@functools.lru_cache(maxsize=16)
def wording(locale: str) -> Wording:
    """The one ``Wording`` of a locale (it holds nothing but the locale)."""
    return Wording(locale)
