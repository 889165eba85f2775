"""Where an import's rows come from: a CSV file, or JSON lines with the CSV's column names.

Each source turns an open text file into a header and its rows, every row a mapping of
column name to the cell's text and numbered by the line it started on, so the kinds see
the same rows whichever format a ministry sends. A line that cannot be a row (a JSON line
that is no object) is yielded as the ``FieldProblem`` saying why, for the report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from registry.imports.kinds import FieldProblem

Row = dict[str, str] | FieldProblem


@dataclass
class Rows:
    header: list[str]  # the columns the file has (JSON lines: the kind's columns)
    rows: Iterator[tuple[int, Row]]  # (line the row starts on, the row or why it is none)


# A source reads a text file for a kind with these columns.
RowSource = Callable[[TextIO, Sequence[str]], Rows]


def csv_rows(handle: TextIO, columns: Sequence[str]) -> Rows:
    reader = csv.DictReader(handle)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, Row]]:
        # A row is numbered by the line it ends on (the same line, but for a quoted newline).
        for row in reader:
            yield reader.line_num, row

    return Rows(header, rows())


def _not_a_constant(name: str) -> str:
    raise ValueError(f"{name} is not a value a cell can have")


def _cell(column: str, value: object) -> str:
    """A JSON value as the text a CSV cell would hold: strings as they are, numbers as
    written (parsed as text, so 0.10 stays 0.10), true/false as 1/0, null as empty."""
    if value is None:
        return ""
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    raise FieldProblem(column, "must be text, a number, true, false or null, not a list or an object")


def json_lines_rows(handle: TextIO, columns: Sequence[str]) -> Rows:
    """One JSON object per line, keyed by the CSV's column names. A missing key is an
    empty cell, as in a CSV; keys that are no column are ignored, as extra CSV columns are;
    blank lines are skipped."""

    def rows() -> Iterator[tuple[int, Row]]:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text, parse_float=str, parse_int=str, parse_constant=_not_a_constant)
            except (ValueError, RecursionError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "nested too deep"
                yield line, FieldProblem("", f"not a JSON object: {reason}")
                continue
            if not isinstance(value, dict):
                yield line, FieldProblem("", "not a JSON object: each line must be one {...} with the columns as keys")
                continue
            try:
                yield line, {column: _cell(column, value.get(column)) for column in columns}
            except FieldProblem as problem:
                yield line, problem

    return Rows(list(columns), rows())
