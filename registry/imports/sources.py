"""Where an import's rows come from: a CSV file, or JSON lines with the CSV's column names.

Each source turns an open text file into a header and its rows, every row a mapping of
column name to the cell's text and numbered by the line it started on, so the kinds see
the same rows whichever format a ministry sends. A line that cannot be a row (a JSON line
that is no object, a cell with a character no column may hold) is yielded as the
``FieldProblem`` saying why, for the report.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from registry.imports.kinds import FieldProblem

Row = dict[str, str] | FieldProblem

# Control characters other than tab, and lone UTF-16 surrogates (only a JSON "\ud800" escape
# can make one). PostgreSQL refuses NUL in text, UTF-8 cannot encode a surrogate, and the
# rest would end up inside SMS texts, USSD screens and reject files. Line breaks are
# refused too, even inside a quoted CSV cell: no column holds more than one line (names,
# codes, reasons), and a spreadsheet's stray Alt+Enter is better fixed at the source.
_UNWANTED = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
# The longest JSON line read as one row. A row's cells together are a few hundred
# characters; a longer line is refused without reading the rest of it into memory.
MAX_JSON_LINE = 1 << 20


class UnreadableSource(Exception):
    """The file stops being readable at ``line`` (a CSV cell past the csv module's limit)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass
class Rows:
    header: list[str]  # the columns the file has (JSON lines: the kind's columns)
    rows: Iterator[tuple[int, Row]]  # (line the row starts on, the row or why it is none)


# A source reads a text file for a kind with these columns.
RowSource = Callable[[TextIO, Sequence[str]], Rows]


def _describe(character: str) -> str:
    if "\ud800" <= character <= "\udfff":
        return f"a lone surrogate (U+{ord(character):04X}), which is no character"
    if character in "\r\n":
        return "a line break; every value must fit on one line"
    return f"a control character (U+{ord(character):04X})"


def _checked(row: dict[str, str]) -> Row:
    """The row, or the problem of its first cell holding a character no column may hold
    (its raw values kept for the reject file, each such character as U+FFFD)."""
    if not _UNWANTED.search("".join(row.values())):  # one search per row: the usual case
        return row
    for column, value in row.items():
        found = _UNWANTED.search(value)
        if found:
            shown = {name: _UNWANTED.sub("\ufffd", text) for name, text in row.items()}
            return FieldProblem(column, f"{column} contains {_describe(found.group())}", raw=shown)
    return row  # not reached: some cell held what the whole row held


def _read_csv(reader: Iterator[list[str]], line_of: Callable[[], int]) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise UnreadableSource(line_of(), f"cannot be read as CSV: {exc}") from None


def csv_rows(handle: TextIO, columns: Sequence[str]) -> Rows:
    reader = csv.reader(handle)
    records = _read_csv(reader, lambda: reader.line_num)
    # As csv.DictReader does, blank lines before the header are skipped.
    first = next((fields for fields in records if fields), [])
    header = [name.strip() for name in first]

    def rows() -> Iterator[tuple[int, Row]]:
        # A row is numbered by the line it ends on (the same line, but for a quoted newline).
        # As csv.DictReader does: blank lines are skipped, a short row's missing cells are
        # empty, cells past the header are ignored.
        for fields in records:
            if fields:
                yield reader.line_num, _checked(dict(zip(header, fields, strict=False)))

    return Rows(header, rows())


def _not_a_constant(name: str) -> str:
    raise ValueError(f"{name} is not a value a cell can have")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: with a key twice, which value is meant?"""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FieldProblem(key, f"{key} appears twice in this object; give each column once")
            seen.add(key)
    return value


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


def _lines(handle: TextIO) -> Iterator[tuple[int, str | None]]:
    """Each line with its number; None for a line longer than MAX_JSON_LINE, whose rest is
    read (and dropped) a piece at a time."""
    number = 0
    while text := handle.readline(MAX_JSON_LINE + 1):
        number += 1
        if len(text) <= MAX_JSON_LINE or text.endswith(("\n", "\r")):
            yield number, text
            continue
        while (rest := handle.readline(MAX_JSON_LINE)) and not rest.endswith(("\n", "\r")):
            pass
        yield number, None


def json_lines_rows(handle: TextIO, columns: Sequence[str]) -> Rows:
    """One JSON object per line, keyed by the CSV's column names. A missing key is an
    empty cell, as in a CSV; keys that are no column are ignored, as extra CSV columns are;
    blank lines are skipped."""

    def rows() -> Iterator[tuple[int, Row]]:
        for line, text in _lines(handle):
            if text is None:
                yield line, FieldProblem("", f"line longer than {MAX_JSON_LINE} characters; one row is far shorter")
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(
                    text, parse_float=str, parse_int=str, parse_constant=_not_a_constant, object_pairs_hook=_object
                )
            except FieldProblem as problem:
                yield line, problem
                continue
            except (ValueError, RecursionError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "nested too deep"
                yield line, FieldProblem("", f"not a JSON object: {reason}")
                continue
            if not isinstance(value, dict):
                yield line, FieldProblem("", "not a JSON object: each line must be one {...} with the columns as keys")
                continue
            try:
                yield line, _checked({column: _cell(column, value.get(column)) for column in columns})
            except FieldProblem as problem:
                yield line, problem

    return Rows(list(columns), rows())
