"""`signals report`: every signal as CSV, one file per signal in a folder, and a README.txt
there saying what each file finds (its query's docstring). Rows stream from the database
to the file, so the report's memory does not grow with the registry."""

from __future__ import annotations

import csv
import datetime as dt
import enum
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from monitoring.signals import SIGNALS, Settings, rows


def _cell(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def write_report(session: Session, folder: Path, settings: Settings) -> dict[str, int]:
    """Write <folder>/<signal>.csv for every signal; returns the rows written per signal."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in SIGNALS:
        columns, stream = rows(session, name, settings)
        count = 0
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in stream:
                writer.writerow([_cell(row[column]) for column in columns])
                count += 1
        written[name] = count
    with (folder / "README.txt").open("w", encoding="utf-8") as handle:
        handle.write(f"Signals as of {settings.as_of.isoformat()}; identifiers are masked.\n\n")
        for name, signal in SIGNALS.items():
            handle.write(f"{name}.csv ({'a list to review' if signal.drill_down else 'aggregates'})\n")
            handle.write(f"{signal.description}\n\n")
    return written
