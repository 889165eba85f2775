"""Running one import: stream, validate, write in batches, all-or-nothing by default.

Everything happens in one database transaction. Rows are validated as they stream past and
written batch by batch; at the first bad row writing stops (validation goes on, so the
report lists every bad row) and at the end the transaction is rolled back, so a file with
any bad row changes nothing. With ``skip_bad`` the good rows are committed and the bad ones
go to a reject file with their line, column and reason.

The rows come from a CSV file, or from JSON lines with the CSV's column names
(registry.imports.sources); both go through the same checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from foundation.metrics import IMPORT_ROWS
from registry.events import Announcer, listeners
from registry.imports.kinds import KINDS, FieldProblem, ImportKind, ParsedRow
from registry.imports.lookups import Lookups
from registry.imports.sources import RowSource, UnreadableSource, csv_rows


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unknown kind, missing columns, encoding, a
    CSV the csv module cannot read on)."""

    def __init__(self, message: str, missing: tuple[str, ...] = (), line: int = 0) -> None:
        super().__init__(message)
        self.missing = missing  # the columns the file lacks, if that is what is wrong
        self.line = line  # where reading stopped; 0 for the file as a whole


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    reason: str
    raw: dict[str, str]

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass
class ImportReport:
    kind: str
    rows_read: int = 0
    rows_written: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False
    reject_path: Path | None = None


def count_data_lines(path: Path) -> int:
    """Lines after the header, for a progress bar (a quoted newline makes it an estimate)."""
    with open(path, "rb") as handle:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


def make_kind(name: str, lookups: Lookups, today: dt.date | None, announcer: Announcer | None = None) -> ImportKind:
    if name not in KINDS:
        raise ImportFileError(f"unknown import kind {name!r}; use one of {', '.join(KINDS)}")
    dated = {} if today is None else {"today": today}
    return KINDS[name](lookups, announcer=announcer or Announcer(), **dated)


# The collector's first-generation threshold while an import runs (Python's default is 700).
IMPORT_GC_THRESHOLD = 50_000


@contextmanager
def fewer_collections(threshold: int = IMPORT_GC_THRESHOLD) -> Iterator[None]:
    """Run the cyclic garbage collector less often for the duration.

    An import allocates a few dicts and tuples per row and frees them batch by batch; with
    the default threshold the collector ran every 700 allocations and, every so often, walked
    every object of the process (models, metadata, catalogs), a noticeable share of an
    import's time. Nothing is left uncollected: the collector still runs, about 70 times
    less often, and the threshold is restored afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@fewer_collections()
def run_import(
    session: Session,
    kind_name: str,
    path: Path,
    *,
    skip_bad: bool = False,
    reject_path: Path | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
    source: RowSource = csv_rows,
    programmes: Collection[str] | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind_name``, its rows read by ``source``. With ``programmes``,
    a row naming any other programme is a bad row (a ministry writes only its own)."""
    lookups = Lookups.load(session, writable=programmes)
    # The listeners subscribed now hear of this import's changes in its transaction.
    kind = make_kind(kind_name, lookups, today, Announcer(listeners()))
    report = ImportReport(kind_name)
    pending: list[ParsedRow] = []
    analyse_at = 1  # rows written when the planner's statistics are next refreshed

    def flush() -> None:
        nonlocal analyse_at
        if not pending:
            return
        batch_problems = kind.check_batch(session, pending)
        rejected = {id(problem.row) for problem in batch_problems}
        report.problems.extend(RowProblem(p.row.line, p.column, p.reason, p.row.raw) for p in batch_problems)
        if skip_bad or not report.problems:
            good = [row for row in pending if id(row) not in rejected]
            kind.write(session, good)
            report.rows_written += len(good)
            if report.rows_written >= analyse_at:
                analyse(session, kind.tables)
                analyse_at = 4 * report.rows_written
        pending.clear()

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            stream = source(handle, kind.columns)
            header = stream.header
            missing = tuple(name for name in kind.columns if name not in header)
            if missing:
                raise ImportFileError(f"{path.name}: missing columns {', '.join(missing)}", missing)
            for line, row in stream.rows:
                report.rows_read += 1
                try:
                    if isinstance(row, FieldProblem):
                        raise row
                    parsed = ParsedRow(line, row, kind.parse(row))
                    kind.accept(parsed)
                except FieldProblem as problem:
                    raw = row if isinstance(row, dict) else (row.raw or {})
                    report.problems.append(RowProblem(line, problem.column, problem.reason, raw))
                else:
                    pending.append(parsed)
                    if len(pending) >= batch_size:
                        flush()
                if progress and report.rows_read % 1000 == 0:
                    progress(1000)
            flush()
            if progress:
                progress(report.rows_read % 1000)
    except UnicodeDecodeError as exc:
        session.rollback()
        raise ImportFileError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    except (UnreadableSource, csv.Error) as exc:
        # Nothing after this point can be read (csv raises, for one, on a cell longer than
        # csv.field_size_limit(), 131,072 characters); the rows before it are not enough.
        session.rollback()
        line = exc.line if isinstance(exc, UnreadableSource) else 0
        reason = exc.reason if isinstance(exc, UnreadableSource) else f"cannot be read as CSV: {exc}"
        where = f", line {line}" if line else ""
        raise ImportFileError(f"{path.name}{where} {reason}", line=line) from None
    except BaseException:
        session.rollback()
        raise

    report.problems.sort(key=lambda problem: problem.line)
    if report.problems and not skip_bad:
        session.rollback()
        report.rows_written = 0
        _count_rows(report)
        return report
    kind.finish(session)
    session.commit()
    report.committed = True
    _count_rows(report)
    kind.after_commit()
    refresh_statistics(session, kind.tables)
    if report.problems:
        report.reject_path = reject_path or path.with_name(path.stem + ".rejects.csv")
        write_rejects(report.reject_path, header, report.problems)
    return report


def _count_rows(report: ImportReport) -> None:
    rejected = len({problem.line for problem in report.problems})
    IMPORT_ROWS.labels(report.kind, "written").inc(report.rows_written)
    IMPORT_ROWS.labels(report.kind, "rejected").inc(rejected)
    IMPORT_ROWS.labels(report.kind, "discarded").inc(max(report.rows_read - report.rows_written - rejected, 0))


def analyse(session: Session, tables: tuple[str, ...]) -> None:
    """ANALYZE the tables an import writes, inside its transaction (ANALYZE counts the
    transaction's own rows).

    Each batch looks up what earlier batches wrote (a payment's status before the file
    changes it). With statistics from before the import, the planner believed the table
    empty and, among equally cheap-looking indexes, probed payments by programme and cycle
    instead of by their unique key: every look-up read a whole cycle, so a payments import
    slowed down batch by batch. The import refreshes them after its first batch and
    whenever it has written four times as many rows as at the last refresh: statistics
    stay within a factor of four, and the few ANALYZE runs cost little beside the import.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f'ANALYZE "{table}"'))


def refresh_statistics(session: Session, tables: tuple[str, ...]) -> None:
    """ANALYZE what a bulk import wrote, once committed: until autovacuum gets to it, the
    planner still believes the tables are as small as before and picks plans that scan them."""
    analyse(session, tables)
    session.commit()


def write_rejects(path: Path, header: list[str], problems: list[RowProblem]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "_line", "_column", "_reason"])
        for problem in problems:
            writer.writerow(
                [*(problem.raw.get(name) or "" for name in header), problem.line, problem.column, problem.reason]
            )
