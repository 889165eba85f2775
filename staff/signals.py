"""The Signals page's data: each monitoring signal's masked rows, cut to what a staff user may
see, with the programme and the ministry a review case of each item goes to.

Who sees what: the monitoring division and admins every item; a cluster coordinator only the
items of their cluster's programmes. An item belongs to the programmes it names (``programme``,
either programme of an exclusive pair) or, for an outlet, to the programmes the outlet serves.
Items that name no programme (rates per payment channel, district or account, shared accounts,
look-alike people) belong to no cluster, so coordinators do not see them; the page says so.

Items are told apart by a digest of their masked values, never by values the browser sends
back: a review case is opened only for an item the server itself finds in the user's view."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.cache import cached
from foundation.clock import utcnow
from grievance.intake import Filed
from grievance.models import Category
from grievance.routing import NoRoute, resolve
from grievance.sla import DHAKA
from monitoring.review import open_review_case
from monitoring.signals import SIGNALS, Settings, rows
from registry.models import Outlet, OutletProgramme, Programme
from staff.models import Role, StaffUser

PAGE_SIZE = 20
# The signals scan the whole registry; a page many people keep open must not rerun them all
# for each of them. A review case is opened from the same cached rows the page showed.
ROWS_SECONDS = 300
ROLES = (Role.MONITORING, Role.COORDINATOR, Role.ADMIN)
PROGRAMME_COLUMNS = ("programme", "programme_a", "programme_b")


class NotVisible(LookupError):
    """A signal or item outside the user's view: the page answers 404."""


@dataclass(frozen=True)
class Item:
    key: str
    values: Mapping[str, Any]
    programmes: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    name: str
    description: str
    drill_down: bool
    count: int
    page: int
    pages: int
    columns: list[str]
    items: list[Item]
    by_programme: bool  # False: its items name no programme (coordinators do not see them)


def may_see_signals(user: StaffUser) -> bool:
    return user.role in ROLES


def item_key(values: Mapping[str, Any]) -> str:
    """A short digest of an item's masked values: stable while the data behind it stays."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _as_of() -> dt.date:
    return utcnow().astimezone(DHAKA).date()


def _outlet_programmes(session: Session) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for code, programme in session.execute(
        select(Outlet.code, OutletProgramme.programme_code)
        .join(OutletProgramme, OutletProgramme.outlet_id == Outlet.id)
        .order_by(Outlet.code, OutletProgramme.programme_code)
    ):
        found.setdefault(code, []).append(programme)
    return {code: tuple(programmes) for code, programmes in found.items()}


def _items(session: Session, name: str, as_of: dt.date) -> tuple[list[str], list[Item]]:
    """Every item of ``name``, masked (monitoring.signals.rows), with its programmes."""
    columns, stream = rows(session, name, Settings(as_of=as_of))
    outlets = _outlet_programmes(session) if "outlet" in columns else {}
    items = []
    for values in stream:
        programmes = tuple(values[c] for c in PROGRAMME_COLUMNS if values.get(c))
        if not programmes and "outlet" in values:
            programmes = outlets.get(values["outlet"], ())
        items.append(Item(item_key(values), values, programmes))
    return columns, items


def _cached_items(session: Session, name: str) -> tuple[list[str], list[Item]]:
    as_of = _as_of()
    return cached(("staff.signals", name, as_of), lambda: _items(session, name, as_of), ROWS_SECONDS)


def _cluster_programmes(session: Session, cluster_code: str | None) -> frozenset[str]:
    return frozenset(session.scalars(select(Programme.code).where(Programme.cluster_code == cluster_code)))


class View:
    """What one user may see of the signals."""

    def __init__(self, session: Session, user: StaffUser) -> None:
        if not may_see_signals(user):
            raise NotVisible(user.role.value)
        self.session = session
        self.user = user
        self.programmes = _cluster_programmes(session, user.cluster_code) if user.role is Role.COORDINATOR else None

    def _visible(self, items: list[Item]) -> list[Item]:
        if self.programmes is None:
            return items
        return [item for item in items if self.programmes.intersection(item.programmes)]

    def responsible_programme(self, item: Item) -> str | None:
        """The programme a review case of ``item`` is filed under: the first of its programmes
        in the user's view (a coordinator's case stays in their cluster)."""
        for programme in item.programmes:
            if self.programmes is None or programme in self.programmes:
                return programme
        return None

    def _shown(self, name: str) -> tuple[list[str], list[Item], bool]:
        if name not in SIGNALS:
            raise NotVisible(name)
        columns, everything = _cached_items(self.session, name)
        by_programme = any(column in columns for column in (*PROGRAMME_COLUMNS, "outlet"))
        if self.programmes is None:
            return columns, everything, by_programme
        return columns, self._visible(everything) if by_programme else [], by_programme

    def section(self, name: str, page: int = 1) -> Section:
        columns, items, by_programme = self._shown(name)
        pages = max(1, -(-len(items) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        return Section(
            name=name,
            description=SIGNALS[name].description,
            drill_down=SIGNALS[name].drill_down,
            count=len(items),
            page=page,
            pages=pages,
            columns=columns,
            items=items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            by_programme=by_programme,
        )

    def sections(self, pages: Mapping[str, int] | None = None) -> list[Section]:
        pages = pages or {}
        return [self.section(name, pages.get(name, 1)) for name in SIGNALS]

    def find(self, name: str, key: str) -> Item:
        """The item of ``name`` with ``key`` in this user's view, else NotVisible."""
        for item in self._shown(name)[1]:
            if item.key == key:
                return item
        raise NotVisible(key)


def responsible_ministry(session: Session, programme: str | None) -> str | None:
    """The ministry a review case under ``programme`` is routed to (grievance.routing's rules
    for "other", as intake will apply them); None when no rule is in force."""
    try:
        return resolve(session, programme, Category.OTHER, False, _as_of()).ministry_code
    except NoRoute:
        return None


def open_case(session: Session, view: View, name: str, item: Item, reviewer_phone: str) -> Filed:
    """Open (or find, within 24 hours) the review case of ``item`` and record who asked for it."""
    from staff.cases import audit

    programme = view.responsible_programme(item)
    filed = open_review_case(session, name, item.values, reviewer_phone=reviewer_phone, programme_code=programme)
    audit(
        session,
        view.user,
        "open_review_case",
        filed.grievance,
        signal=name,
        item=item.key,
        programme=programme,
        duplicate=filed.duplicate,
    )
    session.commit()
    return filed


REVIEW_PHONE = "SAHAYATA_REVIEW_PHONE"


def review_phone(config: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """The monitoring desk's mobile (SAHAYATA_REVIEW_PHONE): a review case's contact, told its
    tracking number and updates like any complainant. Unset or not a Bangladeshi mobile: no
    review case can be opened (the page says why), rather than texting a made-up number."""
    from registry.validation import InvalidValue, normalise_mobile

    raw = str(config.get(REVIEW_PHONE) or env.get(REVIEW_PHONE) or "").strip()
    if not raw:
        return None
    try:
        return normalise_mobile(raw)
    except InvalidValue:
        return None
