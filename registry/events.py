"""What the registry announces as it changes, for the listeners the composition root subscribes.

A redemption (registry.redemptions) announces "started" (with its code) and "completed" the
same way, inside its transaction, and hands back what was recorded once it has committed.
On PostgreSQL an outlet app's start is one statement: a listener that offers its writes as a
part of it (``redemption_started_part``, foundation.write_parts) has them carried by the
registry's insert, and hears the value they returned as what it recorded.
Each announcement carries what the redemption's SMS says (``RedemptionNotice``): the registry
has it at hand, and a listener reading it again would double the redemption's reads.

An import announces "payments changed status" and "e-tokens credited" inside its own
transaction, with its session: what a listener records then (notices records SMS alerts)
commits or rolls back with the import. A listener returns the ids of what it recorded;
once the import has committed, the registry hands them back to the same listener's
``import_committed`` (notices queues the alerts). With no listener subscribed the
registry works alone and nothing else is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from foundation.write_parts import WritePart

PaymentKey = tuple[int, str, str]  # citizen_id, programme_code, cycle

log = logging.getLogger(__name__)


class PaymentsChanged(Protocol):
    def __call__(self, session: Session, changed: Sequence[PaymentKey], today: dt.date) -> Sequence[int]:
        """``changed``: the payments whose status this import changed (or that it added)."""


class ETokensCredited(Protocol):
    def __call__(self, session: Session, credit_entry_ids: Sequence[int]) -> Sequence[int]:
        """``credit_entry_ids``: the ledger entries that raised a wallet's balance."""


@dataclass(frozen=True)
class RedemptionNotice:
    """One redemption as its beneficiary hears of it: who (their phone, None when the
    registry has none, and language), what, where, and the balance (after the debit, for a
    completed one)."""

    redemption_id: int
    mobile: str | None
    language: str
    quantity: Decimal
    unit: str
    outlet_name_en: str
    outlet_name_bn: str
    balance: Decimal


class RedemptionStarted(Protocol):
    def __call__(self, session: Session, notice: RedemptionNotice, code: str) -> Sequence[int]:
        """A redemption awaits its code; ``code`` is the only copy of it outside the HMAC."""


class RedemptionStartedPart(Protocol):
    def __call__(self, notice: RedemptionNotice, code: str) -> WritePart | None:
        """What ``RedemptionStarted`` would record, as a part of the registry's own statement
        (None: nothing to record). The registry runs it, not the listener."""


class RedemptionCompleted(Protocol):
    def __call__(self, session: Session, notice: RedemptionNotice) -> Sequence[int]:
        """A redemption was debited (code entered, or the beneficiary confirmed)."""


class RedemptionCompletedPart(Protocol):
    def __call__(
        self, session: Session, notice: RedemptionNotice, when: ColumnElement[bool] | None = None
    ) -> WritePart | None:
        """What ``RedemptionCompleted`` would record, as a part of the registry's debit
        statement (None: nothing to record). With ``when``, a condition of that statement,
        the part writes only where it holds: the statement may find nothing to debit."""


class ImportCommitted(Protocol):
    def __call__(self, recorded_ids: Sequence[int]) -> None:
        """``recorded_ids``: what this listener's handlers returned during the import."""


@dataclass(frozen=True)
class Listener:
    """One subscriber; any of its handlers may be left out."""

    payments_changed: PaymentsChanged | None = None
    etokens_credited: ETokensCredited | None = None
    import_committed: ImportCommitted | None = None
    redemption_started: RedemptionStarted | None = None
    # The same writes as a part of the registry's statement; a listener that records on a
    # start must offer it for a start to be one statement.
    redemption_started_part: RedemptionStartedPart | None = None
    redemption_completed: RedemptionCompleted | None = None
    redemption_completed_part: RedemptionCompletedPart | None = None
    # After the redemption's transaction committed: what the two handlers above recorded.
    redemption_committed: ImportCommitted | None = None


def subscribe(app: Flask, listener: Listener) -> None:
    app.extensions.setdefault("registry.listeners", []).append(listener)


def listeners(app: Flask | None = None) -> tuple[Listener, ...]:
    return tuple((app or current_app).extensions.get("registry.listeners", ()))


@dataclass
class Announcer:
    """One import's announcements: each listener is told inside the import's transaction,
    and what it recorded is handed back to it once the import has committed."""

    to: tuple[Listener, ...] = ()
    recorded: dict[int, list[int]] = field(default_factory=dict)  # listener's place in ``to`` -> ids
    _part_places: list[int] = field(default_factory=list)  # whose part each carried part is

    def payments_changed(self, session: Session, changed: Sequence[PaymentKey], today: dt.date) -> None:
        for place, listener in enumerate(self.to):
            if listener.payments_changed is not None and changed:
                self._keep(place, listener.payments_changed(session, changed, today))

    def etokens_credited(self, session: Session, credit_entry_ids: Sequence[int]) -> None:
        for place, listener in enumerate(self.to):
            if listener.etokens_credited is not None and credit_entry_ids:
                self._keep(place, listener.etokens_credited(session, credit_entry_ids))

    def import_committed(self) -> None:
        """After the commit: the rows are in, whatever a listener does now. One that fails (Redis
        down while queueing alerts) is logged and the others still run; what it recorded in the
        transaction is left to its sweeper."""
        for place, listener in enumerate(self.to):
            if listener.import_committed is not None:
                try:
                    listener.import_committed(self.recorded.get(place, []))
                except Exception:
                    log.exception("after an import committed, a listener failed; its sweeper will catch up")

    def redemption_started(self, session: Session, notice: RedemptionNotice, code: str) -> None:
        for place, listener in enumerate(self.to):
            if listener.redemption_started is not None:
                self._keep(place, listener.redemption_started(session, notice, code))

    def carries_redemption_starts(self) -> bool:
        """Every listener that records on a start can have it carried (``redemption_started_parts``)."""
        return all(each.redemption_started_part is not None for each in self.to if each.redemption_started is not None)

    def carries_redemption_completions(self) -> bool:
        return all(
            each.redemption_completed_part is not None for each in self.to if each.redemption_completed is not None
        )

    def redemption_started_parts(self, notice: RedemptionNotice, code: str) -> list[WritePart]:
        """Each listener's writes for this start, as parts of the registry's statement; hand
        back what they returned with ``parts_recorded``."""
        return self._parts(
            lambda listener: listener.redemption_started_part and listener.redemption_started_part(notice, code)
        )

    def redemption_completed_parts(
        self, session: Session, notice: RedemptionNotice, when: ColumnElement[bool] | None = None
    ) -> list[WritePart]:
        """The same for a completion (``when``: see ``RedemptionCompletedPart``)."""
        return self._parts(
            lambda listener: (
                listener.redemption_completed_part and listener.redemption_completed_part(session, notice, when)
            )
        )

    def _parts(self, part_of) -> list[WritePart]:
        parts: list[WritePart] = []
        self._part_places = []
        for place, listener in enumerate(self.to):
            part = part_of(listener)
            if part is not None:
                parts.append(part)
                self._part_places.append(place)
        return parts

    def parts_recorded(self, returned: Sequence[int | None]) -> None:
        """The values the parts returned (an id, or None when a part wrote nothing new), in
        the order ``redemption_started_parts`` gave them."""
        for place, value in zip(self._part_places, returned, strict=True):
            self._keep(place, [value] if value is not None else [])

    def redemption_completed(self, session: Session, notice: RedemptionNotice) -> None:
        for place, listener in enumerate(self.to):
            if listener.redemption_completed is not None:
                self._keep(place, listener.redemption_completed(session, notice))

    def redemption_committed(self) -> None:
        """After a redemption's commit, as ``import_committed`` after an import's (a failure
        is logged, not raised: the redemption stands and the sweeper sends what was recorded)."""
        for place, listener in enumerate(self.to):
            if listener.redemption_committed is not None and place in self.recorded:
                try:
                    listener.redemption_committed(self.recorded[place])
                except Exception:
                    log.exception("after a redemption committed, a listener failed; its sweeper will catch up")
        self.recorded.clear()

    def _keep(self, place: int, ids: Sequence[int]) -> None:
        self.recorded.setdefault(place, []).extend(ids)
