"""Locale selection and Bangla number formatting.

Babel formats ``bn`` numbers with Indian grouping but Latin digits, so anything shown in
Bangla script has its digits converted here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal

import flask_babel
from babel import support
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import Babel

from foundation.config import PROJECT_ROOT

SUPPORTED_LOCALES = ("bn", "en")
# Romanized Bangla for ASCII-only gateways (bdapps: "no Bengali script"); a catalog of its
# own so the wording is reviewed Bangla, not English.
ROMANIZED_BANGLA = "bn_Latn"
LOCALES_DIR = PROJECT_ROOT / "locales"
_BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
_ASCII_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


def display_locale(language: str, *, ascii_only: bool) -> str:
    """The locale a language is shown in: romanized Bangla where Bengali script cannot be."""
    return ROMANIZED_BANGLA if language == "bn" and ascii_only else language


def to_bengali_digits(text: str) -> str:
    return text.translate(_BENGALI_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Bengali digits typed on a keypad mean the same as ASCII ones."""
    return text.translate(_ASCII_DIGITS)


def is_ascii_number(text: str) -> bool:
    """Only 0-9 (after Bengali digits are converted): ``str.isdigit`` and ``\\d`` also accept
    ², ١ and ３, which ``int`` then reads or refuses unpredictably."""
    return text.isascii() and text.isdigit()


def has_foreign_digits(text: str) -> bool:
    """Digits of a script other than ASCII (once Bengali ones are converted): ١, ３, ²."""
    return not text.isascii() and any(char.isdigit() and not char.isascii() for char in text)


@functools.cache
def translations(locale: str) -> support.Translations:
    """The compiled catalog of a locale, loaded once per process."""
    return support.Translations.load(str(LOCALES_DIR), [locale], domain="messages")


def translate(locale: str, message: str, **variables: object) -> str:
    """gettext for an explicit locale (USSD and SMS know the caller's, not a request's)."""
    text = translations(locale).ugettext(message)
    return text % variables if variables else text


@functools.lru_cache(maxsize=8192)  # a campaign formats the same few amounts 100,000 times
def format_number(value: int | Decimal | float, locale: str) -> str:
    """12,34,567 style grouping; Bengali digits when the locale is Bangla script."""
    formatted = format_decimal(value, format="#,##,##0.##", locale="bn_BD" if locale == "bn" else "en_IN")
    return to_bengali_digits(formatted) if locale == "bn" else formatted


def _calendar_locale(locale: str) -> str:
    # Romanized Bangla writes the months as they are said in Bangla, which are the English
    # names ("November"); Babel has no bn_Latn data.
    return "bn" if locale == "bn" else "en"


@functools.lru_cache(maxsize=1024)
def format_month(year: int, month: int, locale: str) -> str:
    """ "নভেম্বর ২০২৬" / "November 2026": month names from Babel's CLDR data, never "11/2026"."""
    text = format_date(dt.date(year, month, 1), "MMMM y", locale=_calendar_locale(locale))
    return to_bengali_digits(text) if locale == "bn" else text


def format_cycle(cycle: str, locale: str) -> str:
    """A payment cycle written "2026-11" in the registry, as a month and year."""
    year, month = cycle.split("-")
    return format_month(int(year), int(month), locale)


@functools.lru_cache(maxsize=4096)
def format_day(day: dt.date, locale: str, short: bool = False) -> str:
    """ "৫ নভেম্বর ২০২৬" (or with the short month, "৫ নভে ২০২৬", where a screen is tight)."""
    text = format_date(day, "d MMM y" if short else "d MMMM y", locale=_calendar_locale(locale))
    return to_bengali_digits(text) if locale == "bn" else text


def prefer_locale_on(app: Flask, blueprint: str, preference: Callable[[], str | None]) -> None:
    """Pages of ``blueprint`` speak ``preference()`` when it names a locale (the staff workspace
    registers its signed-in user's choice); ``?lang=`` still wins, the default comes last."""
    app.extensions.setdefault("sahayata.locale_preferences", {})[blueprint] = preference


def _select_locale() -> str:
    from flask import current_app

    requested = request.args.get("lang") if request else None
    if requested in SUPPORTED_LOCALES:
        return requested
    preference = current_app.extensions.get("sahayata.locale_preferences", {}).get(
        request.blueprint if request else None
    )
    chosen = preference() if preference is not None else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return current_app.config["SAHAYATA_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "locales"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["SAHAYATA_DEFAULT_LOCALE"])
    Babel(app, locale_selector=_select_locale)
    # <html lang> of every page: the language its text is in.
    app.jinja_env.globals["page_language"] = lambda: str(flask_babel.get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
