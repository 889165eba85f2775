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

from sqlalchemy import text
from sqlalchemy.orm import Session

from monitoring.signals import SIGNALS, Settings, rows

# The report is one job at a time, reading the whole registry: PostgreSQL's default work_mem
# (4 MB) makes its hash joins of a national registry's confirmations and accounts spill to
# disk in batches, whose number grows with the rows, so the time grew faster than the rows.
# Given to the report's transaction only, never to a page view. Per sort or hash node; see
# https://www.postgresql.org/docs/15/runtime-config-resource.html#GUC-WORK-MEM
REPORT_WORK_MEM = "64MB"


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
    postgresql = session.get_bind().dialect.name == "postgresql"
    for name in SIGNALS:
        if postgresql:
            session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
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
