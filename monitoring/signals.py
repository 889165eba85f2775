"""Every signal by name: its query, what it finds, and how its personal columns are masked.

Aggregate signals (per outlet, channel, district, upazila) carry no personal data; the
lists behind them (drill-downs) carry identifiers, masked here by foundation.masking before
any row leaves the package: ``rows`` is the one way to read a signal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from foundation.masking import mask_account_number, mask_mobile, mask_nid
from monitoring import accounts, confirmations, duplicates, exclusive, outlets, targeting


def mask_name(value: str | None) -> str | None:
    """ "Rahima Begum" -> "R. B.": the initials tell look-alike records apart on a page
    without naming anyone."""
    if not value:
        return value
    return " ".join(f"{part[0]}." for part in value.split())


MASKS: dict[str, Callable[[Any], Any]] = {
    "nid": mask_nid,
    "mobile": mask_mobile,
    "account": mask_account_number,
    "name_en": mask_name,
    "name_bn": mask_name,
}


@dataclass(frozen=True)
class Settings:
    as_of: dt.date
    burst: outlets.BurstRule = field(default_factory=outlets.BurstRule)
    min_households: int = accounts.MIN_HOUSEHOLDS


@dataclass(frozen=True)
class Signal:
    name: str
    query: Callable[[Session, Settings], Select]
    drill_down: bool = False  # a list of people or accounts (masked), not an aggregate

    @property
    def description(self) -> str:
        """What it finds and why it suggests leakage: the query's own docstring."""
        return (getattr(self.query, "__doc__", None) or "").strip()


def _rates(by: confirmations.Grouping) -> Callable[[Session, Settings], Select]:
    def query(session: Session, settings: Settings) -> Select:
        return confirmations.confirmation_rates(by)

    query.__doc__ = f"{confirmations.__doc__}\nGrouped by {by.value}."
    return query


def _outlets(session: Session, settings: Settings) -> Select:
    return outlets.outlet_signals(settings.burst)


_outlets.__doc__ = outlets.outlet_signals.__doc__


def _shared(session: Session, settings: Settings) -> Select:
    return accounts.shared_accounts(settings.min_households)


_shared.__doc__ = accounts.__doc__


def _shared_members(session: Session, settings: Settings) -> Select:
    return accounts.shared_account_members(settings.min_households)


_shared_members.__doc__ = accounts.shared_account_members.__doc__


def _exclusive(session: Session, settings: Settings) -> Select:
    return exclusive.exclusive_enrolments()


_exclusive.__doc__ = exclusive.__doc__


def _duplicates(session: Session, settings: Settings) -> Select:
    return duplicates.likely_duplicates()


_duplicates.__doc__ = duplicates.__doc__


def _targeting(session: Session, settings: Settings) -> Select:
    return targeting.targeting_estimates(session, settings.as_of)


_targeting.__doc__ = targeting.targeting_estimates.__doc__


def _targeting_people(session: Session, settings: Settings) -> Select:
    return targeting.targeting_people(session, settings.as_of)


_targeting_people.__doc__ = targeting.targeting_people.__doc__

SIGNALS: dict[str, Signal] = {
    signal.name: signal
    for signal in (
        Signal("outlets", _outlets),
        Signal("confirmations_by_channel", _rates(confirmations.Grouping.CHANNEL)),
        Signal("confirmations_by_district", _rates(confirmations.Grouping.DISTRICT)),
        Signal("confirmations_by_account", _rates(confirmations.Grouping.ACCOUNT), drill_down=True),
        Signal("shared_accounts", _shared, drill_down=True),
        Signal("shared_account_members", _shared_members, drill_down=True),
        Signal("exclusive_programmes", _exclusive, drill_down=True),
        Signal("likely_duplicates", _duplicates, drill_down=True),
        Signal("targeting", _targeting),
        Signal("targeting_people", _targeting_people, drill_down=True),
    )
}


def rows(session: Session, name: str, settings: Settings) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """A signal's columns and its rows, masked, streamed from the database."""
    if session.get_bind().dialect.name == "postgresql":
        # A signal is one statement with hundreds of expressions (a decision per programme
        # per person): PostgreSQL's JIT compiler spends longer compiling them than the
        # query takes to run, so it is off for the transaction that reads signals.
        session.execute(text("SET LOCAL jit = off"))
    result = session.execute(SIGNALS[name].query(session, settings), execution_options={"yield_per": 5000})
    columns = list(result.keys())
    masks = {column: MASKS[column] for column in columns if column in MASKS}

    def masked() -> Iterator[dict[str, Any]]:
        for row in result.mappings():
            yield {column: masks[column](value) if column in masks else value for column, value in row.items()}

    return columns, masked()


def drill_down_outlet(session: Session, outlet_code: str) -> list[dict[str, Any]]:
    """One outlet's redemptions with their flags (outlets.outlet_redemptions), masked."""
    result = session.execute(outlets.outlet_redemptions(outlet_code)).mappings()
    return [{k: MASKS[k](v) if k in MASKS else v for k, v in row.items()} for row in result]
