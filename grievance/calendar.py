"""The SLA calendar: the pinned `holidays` package's Bangladesh calendar, corrected by the
gazette file (grievance/seed/holiday_gazette.csv, see its SOURCE note) and by the changes
staff record after each notification (HolidayChange rows), in that order.

Each day keeps where it came from, so `grievance holidays` can show it: the package (a
confirmed date), the package's estimate (a lunar date before the moon is sighted), the
gazette file, or a recorded change.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import holidays as holiday_calendars
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foundation.cache import cached
from grievance.models import HolidayAction, HolidayChange, as_utc

GAZETTE_FILE = Path(__file__).resolve().parent / "seed" / "holiday_gazette.csv"
COUNTRY = "BD"
# The package marks a lunar date it computed rather than took from a notification so.
ESTIMATED_LABELS = {"en_BD": " (estimated)", "bn": " (আনুমানিক)"}


class Source(enum.StrEnum):
    PACKAGE = "package"
    ESTIMATED = "estimated"
    GAZETTE = "gazette"
    RECORDED = "recorded"


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name_en: str
    name_bn: str
    source: Source
    note: str = ""  # the gazette row's source, or who recorded the change and when
    lunar: bool = False  # the package had to estimate it: it depends on the moon

    @property
    def confirmed(self) -> bool:
        return self.source is not Source.ESTIMATED


@dataclass(frozen=True)
class Correction:
    """One gazette row or one recorded change, in the form both are applied in."""

    day: dt.date
    action: str  # add | confirm | remove | move
    name_en: str = ""
    name_bn: str = ""
    to_day: dt.date | None = None  # for move
    source: Source = Source.GAZETTE
    note: str = ""


class GazetteError(ValueError):
    """The gazette file has a row that cannot be applied; `db upgrade` refuses it."""


GAZETTE_ACTIONS = ("add", "confirm", "remove", "move")


@functools.cache
def gazette(path: Path = GAZETTE_FILE) -> tuple[Correction, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    corrections = []
    for line, row in enumerate(rows, start=2):
        try:
            day = dt.date.fromisoformat(row["day"])
            to_day = dt.date.fromisoformat(row["to_day"]) if row.get("to_day") else None
        except ValueError as exc:
            raise GazetteError(f"{path.name} line {line}: {exc}") from None
        action = row["action"]
        if action not in GAZETTE_ACTIONS:
            raise GazetteError(f"{path.name} line {line}: action must be one of {', '.join(GAZETTE_ACTIONS)}")
        if (action == "move") != (to_day is not None):
            raise GazetteError(f"{path.name} line {line}: to_day is for a move, and a move needs it")
        if action == "add" and not (row["name_en"] and row["name_bn"]):
            raise GazetteError(f"{path.name} line {line}: an added holiday needs name_en and name_bn")
        if not row.get("source"):
            raise GazetteError(f"{path.name} line {line}: every row says where it comes from (source)")
        corrections.append(
            Correction(day, action, row["name_en"], row["name_bn"], to_day, Source.GAZETTE, row["source"])
        )
    return tuple(corrections)


def _plain(name: str, language: str) -> tuple[str, bool]:
    label = ESTIMATED_LABELS[language]
    return name.replace(label, ""), label in name


@functools.cache
def package_year(year: int) -> tuple[Holiday, ...]:
    """The package's holidays of ``year``: two holidays on one day come as one, "A; B"."""
    english = holiday_calendars.country_holidays(COUNTRY, years=year, language="en_BD")
    bangla = holiday_calendars.country_holidays(COUNTRY, years=year, language="bn")
    days = []
    for day in sorted(english):
        name_en, estimated = _plain(english[day], "en_BD")
        name_bn, _ = _plain(bangla.get(day, english[day]), "bn")
        source = Source.ESTIMATED if estimated else Source.PACKAGE
        days.append(Holiday(day, name_en, name_bn, source, lunar=estimated))
    return tuple(days)


def _apply(days: dict[dt.date, Holiday], change: Correction) -> None:
    existing = days.get(change.day)
    if change.action == "remove":
        days.pop(change.day, None)
    elif change.action == "move":
        moved = days.pop(change.day, None)
        if moved is None:
            raise GazetteError(f"{change.day}: nothing to move (no holiday that day)")
        days[change.to_day] = Holiday(
            change.to_day,
            change.name_en or moved.name_en,
            change.name_bn or moved.name_bn,
            change.source,
            change.note,
            moved.lunar,
        )
    elif existing is not None and change.action == "add":  # a second holiday on the same day
        days[change.day] = replace(
            existing,
            name_en=f"{existing.name_en}; {change.name_en}",
            name_bn=f"{existing.name_bn}; {change.name_bn or change.name_en}",
            source=change.source,
            note=change.note,
        )
    elif existing is not None:  # confirm: the gazette's names, where given, replace the package's
        days[change.day] = replace(
            existing,
            name_en=change.name_en or existing.name_en,
            name_bn=change.name_bn or existing.name_bn,
            source=change.source,
            note=change.note,
        )
    else:
        days[change.day] = Holiday(
            change.day, change.name_en, change.name_bn or change.name_en, change.source, change.note
        )


def build(years: Iterable[int], recorded: Iterable[Correction] = ()) -> dict[dt.date, Holiday]:
    """The calendar of ``years``: the package, then the gazette, then the recorded changes."""
    years = frozenset(years)
    days = {holiday.day: holiday for year in years for holiday in package_year(year)}
    for change in (*gazette(), *recorded):
        if change.day.year in years or (change.to_day and change.to_day.year in years):
            _apply(days, change)
    return {day: holiday for day, holiday in days.items() if day.year in years}


def recorded_changes(session: Session) -> tuple[Correction, ...]:
    return tuple(
        Correction(
            change.day,
            change.action.value,
            change.name_en or "",
            change.name_bn or "",
            source=Source.RECORDED,
            note=f"{change.action.value} by {change.recorded_by} on {as_utc(change.recorded_at):%Y-%m-%d %H:%M} UTC",
        )
        for change in session.scalars(select(HolidayChange).order_by(HolidayChange.id))
    )


def version(session: Session) -> tuple[int, int]:
    """Changes are only added, so their count and newest id say whether a cached calendar is
    still right: every process asks the database, so a change recorded by one reaches all."""
    count, newest = session.execute(select(func.count(HolidayChange.id), func.max(HolidayChange.id))).one()
    return count, newest or 0


def calendar(session: Session, years: Iterable[int]) -> dict[dt.date, Holiday]:
    years = tuple(sorted(set(years)))
    return cached(("sla_calendar", version(session), years), lambda: build(years, recorded_changes(session)))


def off_days(session: Session, years: Iterable[int]) -> frozenset[dt.date]:
    years = tuple(sorted(set(years)))
    return cached(("sla_off_days", version(session), years), lambda: frozenset(calendar(session, years)))


def year_calendar(session: Session, year: int) -> list[Holiday]:
    return sorted(calendar(session, [year]).values(), key=lambda holiday: holiday.day)


def record(
    session: Session, day: dt.date, action: HolidayAction, by: str, name_en: str | None, name_bn: str | None
) -> HolidayChange:
    change = HolidayChange(day=day, action=action, name_en=name_en, name_bn=name_bn, recorded_by=by)
    session.add(change)
    session.flush()
    return change
