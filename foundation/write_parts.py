"""Writes of one layer carried in another layer's statement: one round trip for both.

PostgreSQL runs every data-modifying CTE of a statement, whether the statement reads it or
not, once and to completion, in the statement's own transaction. So a redemption's insert
and the SMS and question that notices records for it can be one statement: the owner of the
carrying statement (the registry) composes it from its own CTEs and the parts other layers
hand it (``WritePart``), without knowing what they write.

A part's shape (``PartShape``: its CTEs, the names of their parameters, and the one value
the statement hands back for it) is a module constant of the layer that owns the write; a
call gives only its values. ``Carrier`` compiles one statement per combination of shapes,
once, and runs it as a ``foundation.hot_select.HotStatement``. Every parameter is named
apart from the columns it writes (``r_…``, ``q_…``, ``m_…``): SQLAlchemy's own path reads an
execution parameter named like a column of a CTE's table as one more column to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, ColumnElement, Connection, select

from foundation.hot_select import HotStatement


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one constant per shape
class PartShape:
    ctes: tuple[CTE, ...]
    parameters: tuple[str, ...]
    returning: ColumnElement[Any]  # a scalar subquery over one of ``ctes`` (a new row's id)


@dataclass(frozen=True)
class WritePart:
    shape: PartShape
    values: dict[str, Any]


class Carrier:
    """A statement of the owner's CTEs, carrying other layers' parts. Its one row: the
    owner's columns, then each part's returned value, in the parts' order."""

    def __init__(self, ctes: Sequence[CTE], columns: Sequence[ColumnElement[Any]], parameters: Sequence[str]) -> None:
        self._ctes, self._columns, self._parameters = tuple(ctes), tuple(columns), tuple(parameters)
        self._statements: dict[tuple[PartShape, ...], HotStatement] = {}

    def _statement(self, shapes: tuple[PartShape, ...]) -> HotStatement:
        statement = self._statements.get(shapes)
        if statement is None:
            composed = select(*self._columns, *(shape.returning for shape in shapes)).add_cte(
                *self._ctes, *(cte for shape in shapes for cte in shape.ctes)
            )
            names = (*self._parameters, *(name for shape in shapes for name in shape.parameters))
            if len(set(names)) != len(names):
                raise ValueError(f"parts share parameter names: {sorted(names)}")
            statement = self._statements[shapes] = HotStatement(composed, *names)
        return statement

    def run(self, connection: Connection, parts: Sequence[WritePart], **values: Any) -> tuple[Any, ...] | None:
        """The row, or None when the owner's columns come from a CTE that wrote nothing
        (the parts' CTEs ran all the same: the caller rolls its transaction back, or knows
        that cannot be)."""
        statement = self._statement(tuple(part.shape for part in parts))
        for part in parts:
            values.update(part.values)
        return statement.first(connection, **values)
