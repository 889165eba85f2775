"""Locale selection and Bangla number formatting.

Babel formats ``bn`` numbers with Indian grouping but Latin digits, so anything shown in
Bangla script has its digits converted here.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import Babel

from sahayata.config import PROJECT_ROOT

SUPPORTED_LOCALES = ("bn", "en")
_BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
_ASCII_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


def to_bengali_digits(text: str) -> str:
    return text.translate(_BENGALI_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Bengali digits typed on a keypad mean the same as ASCII ones."""
    return text.translate(_ASCII_DIGITS)


def format_number(value: int | Decimal | float, locale: str) -> str:
    """12,34,567 style grouping; Bengali digits when the locale is Bangla."""
    formatted = format_decimal(value, format="#,##,##0.##", locale="bn_BD" if locale == "bn" else "en_IN")
    return to_bengali_digits(formatted) if locale == "bn" else formatted


def _select_locale() -> str:
    requested = request.args.get("lang") if request else None
    if requested in SUPPORTED_LOCALES:
        return requested
    from flask import current_app

    return current_app.config["SAHAYATA_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "locales"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["SAHAYATA_DEFAULT_LOCALE"])
    Babel(app, locale_selector=_select_locale)
