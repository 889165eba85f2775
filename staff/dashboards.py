"""What a monitoring dashboard shows, for a ministry, a cluster or everything.

Complaint figures cover every case in scope; payment figures come from the registry for the
programmes in scope; USSD figures from the screen counters of the last 7 days. No figure
carries personal data, so monitoring staff see the same pages as a coordinator.

A ``Dashboard`` holds counts, never rates: the figures are computed ahead of the page by
staff.aggregates (read its docstring for why and how often), and a rate is worked out when
the page is drawn, only where its denominator reaches SAHAYATA_RATE_MIN_DENOMINATOR
(``rate``); "10000.0 complaints per 10,000 beneficiaries" for a district with one
beneficiary says nothing about that district.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask import current_app
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from foundation.cache import cached
from grievance.models import Grievance
from registry.models import Cluster, Ministry, Programme
from staff.models import Role

WEEKS = 12
RESOLUTION_WINDOW = dt.timedelta(days=180)  # median over cases resolved in the last 6 months
WORST = 10  # outlets and payment channels listed "to look at"
USSD_DAYS = 7
RATE_MIN_DENOMINATOR = "SAHAYATA_RATE_MIN_DENOMINATOR"


@dataclass(frozen=True)
class Scope:
    kind: str  # "ministry", "cluster" or "all"
    code: str = ""

    @property
    def key(self) -> str:
        """As stored and as ``?scope=`` says it: "all", "ministry:MOSW", "cluster:SA"."""
        return self.kind if self.kind == "all" else f"{self.kind}:{self.code}"

    def grievances(self) -> ColumnElement[bool]:
        if self.kind == "ministry":
            return Grievance.ministry_code == self.code
        if self.kind == "cluster":
            return Grievance.cluster_code == self.code
        return true()

    def programmes(self) -> ColumnElement[bool]:
        if self.kind == "ministry":
            return Programme.lead_ministry_code == self.code
        if self.kind == "cluster":
            return Programme.cluster_code == self.code
        return true()


class UnknownScope(LookupError):
    """A ``?scope=`` that names no ministry or cluster: the page answers 404."""


SCOPE_KINDS = ("ministry", "cluster")
SCOPE_CODES_CACHE_KEY = "staff.dashboard.scope_codes"


def scope_for(session: Session, user, requested: str) -> Scope:
    """The scope ``user`` sees: officers their ministry, coordinators their cluster; monitoring
    and admin choose with ``requested`` ("", "all", "ministry:CODE" or "cluster:CODE").

    Only codes of real ministries and clusters are accepted, so whatever is keyed by scope
    (the stored figures, the cache of names) holds at most one entry per ministry and cluster.
    """
    if user.role in (Role.OFFICER, Role.GRO):
        return Scope("ministry", user.ministry_code)
    if user.role is Role.COORDINATOR:
        return Scope("cluster", user.cluster_code)
    return parse_scope(session, requested)


def parse_scope(session: Session, requested: str) -> Scope:
    requested = requested.strip()
    if requested in ("", "all"):
        return Scope("all")
    kind, _sep, code = requested.partition(":")
    code = code.strip().upper()
    if kind not in SCOPE_KINDS or code not in _known_codes(session)[kind]:
        raise UnknownScope(requested)
    return Scope(kind, code)


def _known_codes(session: Session) -> dict[str, frozenset[str]]:
    return cached(
        SCOPE_CODES_CACHE_KEY,
        lambda: {
            "ministry": frozenset(session.scalars(select(Ministry.code))),
            "cluster": frozenset(session.scalars(select(Cluster.code))),
        },
    )


def scope_names(session: Session) -> dict[str, tuple[str, str]]:
    """Scope key -> (English name, Bangla name) of every ministry and cluster."""

    def load() -> dict[str, tuple[str, str]]:
        names = {}
        for kind, model in (("ministry", Ministry), ("cluster", Cluster)):
            for code, name_en, name_bn in session.execute(
                select(model.code, model.name_en, model.name_bn).order_by(model.code)
            ):
                names[f"{kind}:{code}"] = (name_en, name_bn)
        return names

    return cached("staff.dashboard.scope_names", load)


def scope_choices(session: Session, locale: str) -> list[tuple[str, str]]:
    """(value of ?scope=, label) for every ministry, then every cluster, in ``locale``."""
    index = 1 if locale == "bn" else 0
    return [(key, names[index]) for key, names in scope_names(session).items()]


ACTIVITY, REGISTRY = "activity", "registry"
PARTS = (ACTIVITY, REGISTRY)


@dataclass
class Dashboard:
    """One scope's figures: counts only (rates are the page's, see ``rate``), in two parts
    refreshed apart (staff.aggregates says why), each with the moment it was computed.

    ACTIVITY: what moves by the minute (complaints, redemptions, answers, USSD sessions).
    REGISTRY: what moves with imports (beneficiaries per district, payment failures)."""

    scope: Scope
    as_of: dt.datetime  # the activity part's
    registry_as_of: dt.datetime | None = None
    # -- activity
    open: int = 0
    overdue: int = 0
    with_deadline: int = 0
    breached: int = 0  # of those with a deadline: resolved late, or open past it
    resolved_recently: int = 0  # in RESOLUTION_WINDOW, with working days counted
    median_resolution_working_days: float | None = None
    district_complaints: list[tuple[int, int]] = field(default_factory=list)  # district id, complaints
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[dt.date, int]] = field(default_factory=list)  # Monday (Dhaka), complaints filed
    redemptions: list[tuple[str, int, float]] = field(default_factory=list)  # unit, completed, quantity
    confirmations: tuple[int, int, int] = (0, 0, 0)  # asked, confirmed, denied
    # code, English name, Bangla name, completed, disputed, at night, from another upazila
    worst_outlets: list[tuple[str, str, str, int, int, int, int]] = field(default_factory=list)
    worst_channels: list[tuple[str, int, int, int]] = field(default_factory=list)  # channel, asked, yes, no
    ussd: dict[str, dict[str, int]] = field(default_factory=dict)  # screen -> event -> count, USSD_DAYS days
    # Next year, when its lunar holidays are all still estimated from 1 December on: a banner.
    unconfirmed_lunar_year: int | None = None
    # -- registry
    beneficiaries: list[tuple[int, int]] = field(default_factory=list)  # district id, people
    payment_failures: list[tuple[str, int, int]] = field(default_factory=list)  # channel, attempted, failed

    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        ACTIVITY: (
            "open",
            "overdue",
            "with_deadline",
            "breached",
            "resolved_recently",
            "median_resolution_working_days",
            "district_complaints",
            "top_categories",
            "weekly",
            "redemptions",
            "confirmations",
            "worst_outlets",
            "worst_channels",
            "ussd",
            "unconfirmed_lunar_year",
        ),
        REGISTRY: ("beneficiaries", "payment_failures"),
    }
    # Stored figures of another shape (written before an upgrade) are not read: the page
    # refreshes them instead. Change it whenever the fields change.
    FORMAT: ClassVar[int] = 2

    @property
    def by_district(self) -> list[tuple[int, int, int]]:
        """(district id, complaints, beneficiaries) of every district with either."""
        cases, people = dict(self.district_complaints), dict(self.beneficiaries)
        return sorted((d, cases.get(d, 0), people.get(d, 0)) for d in set(cases) | set(people))

    def part_json(self, part: str) -> dict[str, Any]:
        data: dict[str, Any] = {"format": self.FORMAT}
        for name in self.FIELDS[part]:
            value = getattr(self, name)
            data[name] = [(week.isoformat(), n) for week, n in value] if name == "weekly" else value
        return data

    @classmethod
    def from_parts(cls, scope: Scope, parts: dict[str, tuple[dt.datetime, dict[str, Any]]]) -> Dashboard | None:
        """The stored parts ({part: (as_of, figures)}); None unless both are there and of this
        version of the class."""
        if set(parts) != set(PARTS) or any(data.get("format") != cls.FORMAT for _at, data in parts.values()):
            return None
        board = cls(scope, as_of=parts[ACTIVITY][0], registry_as_of=parts[REGISTRY][0])
        for part, (_at, data) in parts.items():
            for name in cls.FIELDS[part]:
                value = data[name]
                if name == "weekly":
                    value = [(dt.date.fromisoformat(week), n) for week, n in value]
                elif name == "confirmations":
                    value = tuple(value)
                elif isinstance(value, list):  # JSON keeps tuples as lists
                    value = [tuple(row) for row in value]
                setattr(board, name, value)
        return board


def min_denominator() -> int:
    return int(current_app.config[RATE_MIN_DENOMINATOR])


def rate(part: int, whole: int, minimum: int) -> float | None:
    """``part / whole``, or None where ``whole`` is under ``minimum`` (the page shows "—")."""
    return part / whole if whole and whole >= minimum else None


def weighted_median(counts: dict[int, int]) -> float:
    """The median of values given as {value: how many times}."""
    total = sum(counts.values())
    values = sorted(counts)
    below, lower = 0, None
    for value in values:
        below += counts[value]
        if lower is None and below * 2 >= total:
            lower = value
            if below * 2 > total or total % 2:
                return float(value)
        elif lower is not None:
            return (lower + value) / 2
    return float(values[-1])
