"""The Signals page's items, computed ahead of the page and kept in the database.

Each signal scans the registry (every enrolment, payment and redemption), and its drill-down
can hold hundreds of thousands of items at national scale: a page view that ran them, or a
web worker that kept every masked item in memory, would take seconds and hundreds of
megabytes for each of many staff. So, as with the dashboards' figures (staff.aggregates),
a refresh runs every signal once, masks its rows (monitoring.signals.rows, the one way to
read a signal) and writes them here; a page view reads one page of one signal and a count.

- ``signal_runs``: one row per signal, when it was computed, its columns and its count.
- ``signal_items``: its items in the signal's own order (``position``), each with the digest
  the page names it by (``key``), its masked cells, and the programmes it belongs to.
- ``signal_item_programmes``: the same programmes, one row each, so a coordinator's page
  reads only the items of their cluster's programmes through an index.

A refresh replaces every signal's items in one transaction, so a reader sees the previous
run until it commits; on PostgreSQL two refreshes queue on an advisory lock rather than
collide on the same rows. The scheduler runs it every REFRESH_SECONDS, and each import's
commit asks for one (the registry signals move with imports). Embedded mode (no queue)
refreshes on the page view that finds the items older than REFRESH_SECONDS, or marked stale
by an import; a deployment's first view with a queue asks for a refresh and says so, rather
than holding the page for the length of a national scan.

Cells are stored as JSON, each column with the kind of its values (a date, a Decimal, a rate)
so the page shows them as it did when they came from the query.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, delete, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from foundation.bulk import insert_all
from foundation.clock import as_utc, utcnow
from foundation.db import Base, db_session
from foundation.jobs import enqueue, jobs_run_inline, redis_connection, with_app_context
from grievance.sla import DHAKA
from monitoring.signals import SIGNALS, Settings, rows
from registry.models import Outlet, OutletProgramme

REFRESH_SECONDS = 600
FORMAT = 1  # the shape of the stored cells; a refresh by this version rewrites an older one
BATCH = 5000  # items masked and written at a time: a refresh's memory stays one batch
# Set while a refresh waits in the queue, so an import of four files, or many page views of
# a deployment never refreshed, queue one refresh; the job clears it as it starts.
QUEUED_KEY = "staff:signals:refresh-queued"
PROGRAMME_COLUMNS = ("programme", "programme_a", "programme_b")
# pg_advisory_xact_lock's key for "a refresh is writing the items".
_REFRESH_LOCK = 0x5167_4E41


class SignalRun(Base):
    """When ``signal`` was last computed, its columns (name and kind of value) and its count."""

    __tablename__ = "signal_runs"

    signal: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    format: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list] = mapped_column(JSON)
    count: Mapped[int] = mapped_column(Integer)


class SignalItem(Base):
    """One item of a signal, masked: its cells in the columns' order, and its programmes."""

    __tablename__ = "signal_items"
    __table_args__ = (Index("ix_signal_items_key", "signal", "key"),)

    signal: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(20))
    cells: Mapped[list] = mapped_column(JSON)
    programmes: Mapped[list] = mapped_column(JSON)


class SignalItemProgramme(Base):
    """An item's programme, one row each: a coordinator's items, by (signal, programme)."""

    __tablename__ = "signal_item_programmes"

    signal: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)


@dataclass(frozen=True)
class Item:
    key: str
    values: Mapping[str, Any]
    programmes: tuple[str, ...]


# json.dumps with any argument of its own builds an encoder per call; a refresh keys every item.
_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


def item_key(values: Mapping[str, Any]) -> str:
    """A short digest of an item's masked values: stable while the data behind it stays."""
    return hashlib.sha256(_KEY_JSON.encode(values).encode()).hexdigest()[:20]


# -- cells as JSON -----------------------------------------------------------------------------
def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, enum.Enum):
        return "str"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "str"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    return str(value)  # a Decimal exactly, as its digits


_DECODE = {
    "decimal": Decimal,
    "date": dt.date.fromisoformat,
    "datetime": dt.datetime.fromisoformat,
    "int": int,
    "float": float,
}


def _decode(kind: str | None, value: Any) -> Any:
    if value is None or kind not in _DECODE:
        return value
    return _DECODE[kind](value)


# -- writing -----------------------------------------------------------------------------------
def _outlet_programmes(session: Session) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for code, programme in session.execute(
        select(Outlet.code, OutletProgramme.programme_code)
        .join(OutletProgramme, OutletProgramme.outlet_id == Outlet.id)
        .order_by(Outlet.code, OutletProgramme.programme_code)
    ):
        found.setdefault(code, []).append(programme)
    return {code: tuple(programmes) for code, programmes in found.items()}


def programmes_of(values: Mapping[str, Any], outlets: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The programmes an item belongs to: those it names, or for an outlet those it serves."""
    named = tuple(dict.fromkeys(str(values[c]) for c in PROGRAMME_COLUMNS if values.get(c)))
    if not named and "outlet" in values:
        return outlets.get(values["outlet"], ())
    return named


def _write(session: Session, name: str, batch: Sequence[tuple[int, Mapping[str, Any]]], outlets) -> None:
    items, programmes = [], []
    for position, values in batch:
        belongs = programmes_of(values, outlets)
        items.append(
            {
                "signal": name,
                "position": position,
                "key": item_key(values),
                "cells": [_encode(value) for value in values.values()],
                "programmes": list(belongs),
            }
        )
        programmes += [{"signal": name, "programme_code": code, "position": position} for code in belongs]
    insert_all(session, SignalItem.__table__, items)
    insert_all(session, SignalItemProgramme.__table__, programmes)


def refresh(session: Session, now: dt.datetime | None = None) -> dt.datetime:
    """Run every signal as of ``now``'s Dhaka day and replace the stored items (one commit)."""
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REFRESH_LOCK})
    settings = Settings(as_of=now.astimezone(DHAKA).date())
    outlets = _outlet_programmes(session)
    session.execute(delete(SignalItemProgramme))
    session.execute(delete(SignalItem))
    session.execute(delete(SignalRun))
    for name in SIGNALS:
        columns, stream = rows(session, name, settings)
        kinds: dict[str, str | None] = dict.fromkeys(columns)
        batch: list[tuple[int, Mapping[str, Any]]] = []
        count = 0
        for values in stream:
            for column, kind in kinds.items():
                if kind is None:
                    kinds[column] = _kind(values[column])
            batch.append((count, values))
            count += 1
            if len(batch) == BATCH:
                _write(session, name, batch, outlets)
                batch = []
        _write(session, name, batch, outlets)
        kinds_of = [[column, kinds[column]] for column in columns]
        session.add(SignalRun(signal=name, as_of=now, format=FORMAT, columns=kinds_of, count=count))
        session.flush()
    session.commit()
    return now


@with_app_context
def refresh_job() -> str:
    """The scheduler's job, and the one an import's commit queues."""
    if not jobs_run_inline():
        redis_connection().delete(QUEUED_KEY)
    return refresh(db_session()).isoformat()


def request_refresh() -> None:
    """Queue one refresh, however many ask before it starts (inline: run it now)."""
    if jobs_run_inline() or redis_connection().set(QUEUED_KEY, "1", nx=True, ex=REFRESH_SECONDS):
        enqueue(refresh_job)


def registry_changed(_recorded: Sequence[int] = ()) -> None:
    """An import committed: with a queue, refresh soon; embedded, mark the items stale so
    the next page view refreshes them (an import need not wait for every signal)."""
    if jobs_run_inline():
        session = db_session()
        session.execute(delete(SignalRun))
        session.commit()
    else:
        request_refresh()


# -- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    as_of: dt.datetime
    columns: list[str]
    kinds: list[str | None]
    count: int


def runs(session: Session) -> dict[str, Run] | None:
    """Every signal's last run, or None unless every signal has one in this version's shape."""
    found = {
        run.signal: Run(as_utc(run.as_of), [c for c, _ in run.columns], [k for _, k in run.columns], run.count)
        for run in session.scalars(select(SignalRun).where(SignalRun.format == FORMAT))
    }
    return found if set(found) >= set(SIGNALS) else None


def runs_for_page(session: Session, now: dt.datetime | None = None) -> dict[str, Run] | None:
    """The stored runs, refreshed first in embedded mode when missing or older than
    REFRESH_SECONDS; with a queue, a refresh is asked for when there are none (None until
    it has run)."""
    found = runs(session)
    now = now or utcnow()
    if jobs_run_inline():
        if found is None or any(now - run.as_of > dt.timedelta(seconds=REFRESH_SECONDS) for run in found.values()):
            refresh(session, now=now)
            found = runs(session)
    elif found is None:
        request_refresh()
    return found


def _in_view(name: str, programmes: frozenset[str] | None):
    """The positions of ``name``'s items in a view: every item, or a cluster's."""
    if programmes is None:
        return None
    return (
        select(SignalItemProgramme.position)
        .where(SignalItemProgramme.signal == name, SignalItemProgramme.programme_code.in_(sorted(programmes)))
        .distinct()
    )


def count(session: Session, name: str, run: Run, programmes: frozenset[str] | None) -> int:
    in_view = _in_view(name, programmes)
    if in_view is None:
        return run.count
    return session.scalar(select(func.count()).select_from(in_view.subquery())) or 0


def _items(run: Run, found: Iterable[SignalItem]) -> list[Item]:
    return [
        Item(
            item.key,
            {c: _decode(k, v) for c, k, v in zip(run.columns, run.kinds, item.cells, strict=True)},
            tuple(item.programmes),
        )
        for item in found
    ]


def page_of(
    session: Session, name: str, run: Run, programmes: frozenset[str] | None, offset: int, limit: int
) -> list[Item]:
    """``limit`` items of ``name`` from ``offset``, in the signal's order, within the view."""
    query = select(SignalItem).where(SignalItem.signal == name)
    in_view = _in_view(name, programmes)
    if in_view is not None:
        query = query.where(SignalItem.position.in_(in_view))
    return _items(run, session.scalars(query.order_by(SignalItem.position).offset(offset).limit(limit)))


def find(session: Session, name: str, run: Run, key: str, programmes: frozenset[str] | None) -> Item | None:
    """The first item of ``name`` with ``key`` within the view, or None."""
    query = select(SignalItem).where(SignalItem.signal == name, SignalItem.key == key)
    in_view = _in_view(name, programmes)
    if in_view is not None:
        query = query.where(SignalItem.position.in_(in_view))
    return next(iter(_items(run, session.scalars(query.order_by(SignalItem.position).limit(1)))), None)
