"""The Signals page's data: each monitoring signal's masked rows, cut to what a staff user may
see, with the programme and the ministry a review case of each item goes to.

Who sees what: the monitoring division and admins every item; a cluster coordinator only the
items of their cluster's programmes. An item belongs to the programmes it names (``programme``,
either programme of an exclusive pair) or, for an outlet, to the programmes the outlet serves.
Items that name no programme (rates per payment channel, district or account, shared accounts,
look-alike people) belong to no cluster, so coordinators do not see them; the page says so.

Items are told apart by a digest of their masked values, never by values the browser sends
back: a review case is opened only for an item the server itself finds in the user's view.
The items are those of the signals' last stored run (staff.signal_store): a page view reads
one page and a count, and a review case is opened from the same stored item the page showed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from grievance.intake import Filed
from grievance.models import Category
from grievance.routing import NoRoute, resolve
from grievance.sla import DHAKA
from monitoring.review import open_review_case
from monitoring.signals import SIGNALS
from registry.models import Programme
from staff import signal_store
from staff.models import Role, StaffUser
from staff.signal_store import PROGRAMME_COLUMNS, Item

PAGE_SIZE = 20
ROLES = (Role.MONITORING, Role.COORDINATOR, Role.ADMIN)


class NotVisible(LookupError):
    """A signal or item outside the user's view: the page answers 404."""


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


def _as_of() -> dt.date:
    return utcnow().astimezone(DHAKA).date()


def _cluster_programmes(session: Session, cluster_code: str | None) -> frozenset[str]:
    return frozenset(session.scalars(select(Programme.code).where(Programme.cluster_code == cluster_code)))


class View:
    """What one user may see of the signals, read from their last stored run
    (staff.signal_store): ``ready`` is False while a deployment's first run is still queued."""

    def __init__(self, session: Session, user: StaffUser) -> None:
        if not may_see_signals(user):
            raise NotVisible(user.role.value)
        self.session = session
        self.user = user
        self.programmes = _cluster_programmes(session, user.cluster_code) if user.role is Role.COORDINATOR else None
        self.runs = signal_store.runs_for_page(session)

    @property
    def ready(self) -> bool:
        return self.runs is not None

    @property
    def as_of(self) -> dt.datetime | None:
        """When the oldest of the shown signals was computed."""
        return min(run.as_of for run in self.runs.values()) if self.runs else None

    def responsible_programme(self, item: Item) -> str | None:
        """The programme a review case of ``item`` is filed under: the first of its programmes
        in the user's view (a coordinator's case stays in their cluster)."""
        for programme in item.programmes:
            if self.programmes is None or programme in self.programmes:
                return programme
        return None

    def _run(self, name: str) -> tuple[signal_store.Run | None, bool]:
        """The signal's run (None before the first), and whether its items name programmes;
        NotVisible for a name that is no signal."""
        if name not in SIGNALS:
            raise NotVisible(name)
        run = self.runs.get(name) if self.runs else None
        columns = run.columns if run else []
        return run, any(column in columns for column in (*PROGRAMME_COLUMNS, "outlet"))

    def section(self, name: str, page: int = 1) -> Section:
        run, by_programme = self._run(name)
        hidden = run is None or (self.programmes is not None and not by_programme)
        count = 0 if hidden else signal_store.count(self.session, name, run, self.programmes)
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(max(page, 1), pages)
        items = (
            []
            if hidden or not count
            else signal_store.page_of(self.session, name, run, self.programmes, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        )
        return Section(
            name=name,
            description=SIGNALS[name].description,
            drill_down=SIGNALS[name].drill_down,
            count=count,
            page=page,
            pages=pages,
            columns=run.columns if run else [],
            items=items,
            by_programme=by_programme,
        )

    def sections(self, pages: Mapping[str, int] | None = None) -> list[Section]:
        pages = pages or {}
        return [self.section(name, pages.get(name, 1)) for name in SIGNALS]

    def find(self, name: str, key: str) -> Item:
        """The item of ``name`` with ``key`` in this user's view, else NotVisible."""
        run, by_programme = self._run(name)
        if run is None or (self.programmes is not None and not by_programme) or not key:
            raise NotVisible(key)
        found = signal_store.find(self.session, name, run, key[:40], self.programmes)
        if found is None:
            raise NotVisible(key)
        return found


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
