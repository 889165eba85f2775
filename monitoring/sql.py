"""Small SQL expressions the signals need that PostgreSQL and SQLite spell differently.

Timestamps are stored in UTC (foundation.clock): PostgreSQL as timestamptz, SQLite as the
UTC wall-clock text SQLAlchemy writes. Each function here compiles to the one dialect's
spelling, so every signal is one statement on either database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, Integer, and_, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_hour(FunctionElement[int]):
    """The hour (0-23) of a stored timestamp, in UTC whatever the session's time zone."""

    type = Integer()
    inherit_cache = True


@compiles(utc_hour)
def _utc_hour_default(element: utc_hour, compiler: Any, **kw: Any) -> str:
    return f"CAST(STRFTIME('%H', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element: utc_hour, compiler: Any, **kw: Any) -> str:
    # extract() on a timestamptz reads the session's TimeZone; at time zone 'UTC' does not.
    return f"CAST(EXTRACT(HOUR FROM ({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC') AS INTEGER)"


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a stored timestamp, to subtract two of them."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"((JULIANDAY({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


class bit_or(FunctionElement[int]):
    """The bitwise OR of a group's integers: PostgreSQL's own aggregate; SQLite has none, and
    the sum of the distinct values is the same OR when every value is one power of two (or 0),
    which is how monitoring.targeting uses it."""

    type = BigInteger()
    inherit_cache = True


@compiles(bit_or)
def _bit_or_default(element: bit_or, compiler: Any, **kw: Any) -> str:
    return f"SUM(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(bit_or, "postgresql")
def _bit_or_postgresql(element: bit_or, compiler: Any, **kw: Any) -> str:
    return f"BIT_OR({compiler.process(element.clauses, **kw)})"


def _strip(value: ColumnElement[Any], characters: str) -> ColumnElement[str]:
    for character in characters:
        value = func.replace(value, character, "")
    return value


# What people and clerks put between the parts of a number (a name: foundation.names).
NUMBER_PUNCTUATION = " \u00a0.-/()+_"


def normalised_account(number: ColumnElement[str]) -> ColumnElement[str]:
    """An account or wallet number as digits: separators gone, and a mobile wallet written
    with the country code (+8801712345678, 8801712345678) the same as 01712345678."""
    digits = _strip(number, NUMBER_PUNCTUATION)
    return case(
        (and_(func.substr(digits, 1, 4) == "8801", func.length(digits) == 13), func.substr(digits, 3)),
        else_=digits,
    )
