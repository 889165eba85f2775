"""Rules changed without a release: the difference a rules file makes, and its record.

Eligibility rules, routing rules and the SLA calendar are each exported to a CSV file,
edited, and imported again (`registry rules`, `grievance routes`, `grievance holidays`).
Every kind compares the file with what the database holds as records keyed the same way,
so the difference (added, changed before→after, removed) is computed and printed alike,
and an applied change is one ``RuleChange`` row: who, when, why, and that difference.

The newest record's id per kind is also the rules' version: a process that cached rules
compares it before trusting its copy, so an import reaches every running process without a
restart (see ``registry.eligibility.engine.rulebook_opening`` and ``grievance.routing``).
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from foundation import clock
from foundation.db import Base

# A record is a rule's fields as the file writes them (text), keyed by what names the rule.
Record = Mapping[str, str]
Key = tuple[str, ...]

REASON_LENGTH = 2000
BY_LENGTH = 120


class RuleChange(Base):
    """One applied rules file: which rules, who applied it, when, why, and what it changed."""

    __tablename__ = "rule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # eligibility | routing | holidays
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(BY_LENGTH))
    reason: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(255))
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    # {"added": [record], "changed": [{"before": record, "after": record}], "removed": [record]}
    difference: Mapped[dict[str, Any]] = mapped_column(JSON)


@dataclass(frozen=True)
class FileProblem:
    """What is wrong with a rules file, where: a line and column, or the file as a whole."""

    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"file: {self.reason}"
        return f"line {self.line}, column {self.column}: {self.reason}"


class RulesFileRefused(ValueError):
    """The file cannot be applied; ``problems`` lists every reason (nothing was changed)."""

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is not None, p.line or 0))
        super().__init__("; ".join(map(str, self.problems)))


@dataclass
class Difference:
    added: list[dict[str, str]] = field(default_factory=list)
    changed: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": [{"before": before, "after": after} for before, after in self.changed],
            "removed": self.removed,
        }


def difference(current: Mapping[Key, Record], wanted: Mapping[Key, Record]) -> Difference:
    """What replacing ``current`` by ``wanted`` adds, changes and removes, in key order."""
    found = Difference()
    for key in sorted(set(current) | set(wanted)):
        before, after = current.get(key), wanted.get(key)
        if before is None and after is not None:
            found.added.append(dict(after))
        elif after is None and before is not None:
            found.removed.append(dict(before))
        elif before is not None and after is not None and dict(before) != dict(after):
            found.changed.append((dict(before), dict(after)))
    return found


def _line(record: Mapping[str, str]) -> str:
    return " ".join(f"{name}={value}" for name, value in record.items() if value != "")


def describe(found: Difference) -> list[str]:
    """The difference for a person to read: one line per rule, a changed one with only the
    fields that change, each as before → after."""
    if not found:
        return ["no difference: the file holds the rules in force"]
    lines = [f"{len(found.added)} added, {len(found.changed)} changed, {len(found.removed)} removed"]
    lines += [f"+ {_line(record)}" for record in found.added]
    for before, after in found.changed:
        same = {name: value for name, value in after.items() if before.get(name) == value}
        moved = [
            f"{name}: {before.get(name) or '(empty)'} → {after.get(name) or '(empty)'}"
            for name in after
            if before.get(name) != after.get(name)
        ]
        lines.append(f"~ {_line(same)}: " + "; ".join(moved))
    lines += [f"- {_line(record)}" for record in found.removed]
    return lines


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_rules_file(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[Row]:
    """A rules file's rows with their line numbers, every value stripped; a file that
    cannot be read as such (encoding, missing or unknown columns) is refused whole."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            missing = [name for name in required if name not in header]
            unknown = [name for name in header if name not in required + optional]
            problems = []
            if missing:
                problems.append(FileProblem(1, ", ".join(missing), "missing column(s)"))
            if unknown:
                known = ", ".join(required + optional)
                problems.append(FileProblem(1, ", ".join(unknown), f"unknown column(s); the columns are {known}"))
            if problems:
                raise RulesFileRefused(problems)
            reader.fieldnames = header
            rows = []
            for values in reader:
                if None in values:  # more fields than the header names
                    raise RulesFileRefused(
                        [FileProblem(reader.line_num, header[-1], f"more fields than the {len(header)} columns")]
                    )
                rows.append(Row(reader.line_num, {name: (values.get(name) or "").strip() for name in header}))
            return rows
    except UnicodeDecodeError as exc:
        raise RulesFileRefused(
            [FileProblem(None, None, f"{path.name} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8")]
        ) from None
    except csv.Error as exc:
        raise RulesFileRefused([FileProblem(None, None, f"{path.name} is not a CSV file: {exc}")]) from None


def write_rules_file(path: Path | None, columns: tuple[str, ...], records: list[Mapping[str, str]]) -> str:
    """The records as the CSV the import reads (to ``path``, and returned)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: record.get(name, "") for name in columns} for record in records)
    content = buffer.getvalue()
    if path is not None:
        path.write_text(content, encoding="utf-8")
    return content


def lock(session: Session, kind: str) -> None:
    """One import of a kind at a time, so the recorded difference is the one applied.
    PostgreSQL holds the lock to the end of the transaction; SQLite has one writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sahayata.rules.{kind}"})


def who(by: str | None) -> str:
    """The person applying a change: ``--by``, else the login name of the one at the keyboard."""
    name = (by or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name (a container without a passwd entry)
            name = ""
    return name


def check_signature(by: str, reason: str | None) -> list[FileProblem]:
    """Who and why are required to apply a change; say what is missing."""
    problems = []
    if not by:
        problems.append(FileProblem(None, None, "say who applies the change (--by NAME)"))
    elif len(by) > BY_LENGTH:
        problems.append(FileProblem(None, None, f"--by is {len(by)} characters long; at most {BY_LENGTH}"))
    if not (reason or "").strip():
        problems.append(FileProblem(None, None, "say why (--reason TEXT): the record keeps it"))
    elif len(reason or "") > REASON_LENGTH:
        problems.append(FileProblem(None, None, f"--reason is too long; at most {REASON_LENGTH} characters"))
    return problems


def record(session: Session, kind: str, by: str, reason: str, file_name: str, found: Difference) -> RuleChange:
    """Keep the applied change in the caller's transaction, so it commits with the rules."""
    change = RuleChange(
        kind=kind,
        changed_at=clock.utcnow(),
        changed_by=by,
        reason=reason.strip(),
        file_name=file_name[:255],
        added=len(found.added),
        changed=len(found.changed),
        removed=len(found.removed),
        difference=found.as_json(),
    )
    session.add(change)
    session.flush()
    return change


def version(session: Session, kind: str) -> int:
    """The newest applied change of ``kind`` (0: none yet). Records are only ever added."""
    return session.scalar(select(func.max(RuleChange.id)).where(RuleChange.kind == kind)) or 0


def history(session: Session, kind: str, limit: int = 20) -> list[RuleChange]:
    return list(
        session.scalars(select(RuleChange).where(RuleChange.kind == kind).order_by(RuleChange.id.desc()).limit(limit))
    )
