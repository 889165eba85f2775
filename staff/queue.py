"""A ministry's queue: a search and filters from the query string, in the order asked for
(deadline first unless told), a page at a time, with each row's places and age."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.orm import Session

from foundation.clock import as_utc, utcnow
from foundation.i18n import is_ascii_number, to_ascii_digits
from foundation.masking import mask_mobile, mask_nid
from grievance.actions import waiting_for_citizen
from grievance.contact import contact_phones
from grievance.models import Category, Grievance, Status
from grievance.sla import DHAKA, holidays, working_days_between
from grievance.status import OPEN
from registry.models import Citizen
from registry.places import place_index
from staff import search
from staff.models import StaffUser
from staff.scope import visible

PAGE_SIZE = 50
# Cases are counted up to here, then said to be "more than" it: counting a whole country's
# queue reads every case in scope on each page view, and past a thousand an officer filters
# or searches rather than pages.
COUNT_CAP = 1000
# A search's matches are read once and passed to the count and the page as ids, up to this
# many (any scope); more, and both run the search themselves.
FOUND_CAP = 5000
# Longer numbers are no page and no district: refused before int() so that neither the
# database (integer columns, OFFSET) nor Python's digit limit sees them.
MAX_NUMBER_DIGITS = 9
DUE_SOON = dt.timedelta(days=3)
SLA_STATES = ("overdue", "due_soon", "on_time")
# The orders a queue may take: soonest deadline (the default), newest filed, latest activity
# (a status change, a note, a question or the citizen's answer: grievance.status.record).
SORTS = ("deadline", "filed", "activity")
_ORDER = {
    "deadline": (Grievance.due_at.asc().nulls_last(), Grievance.id),
    "filed": (Grievance.created_at.desc(), Grievance.id.desc()),
    "activity": (Grievance.updated_at.desc(), Grievance.id.desc()),
}
_YES = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "open", "all" or one status
    programme: str = ""
    category: str = ""
    district: int | None = None
    sla: str = ""  # one of SLA_STATES, or "" for any
    page: int = 1
    # A district given that no district is: the queue shows it and no cases, never every
    # district's (a filter dropped in silence would also export them all).
    unknown_district: str = ""
    # The search box, as typed (kept one character past the limit, to say it is too long).
    q: str = ""
    sort: str = "deadline"
    mine: bool = False  # assigned to the user
    waiting: bool = False  # the office asked the citizen something, unanswered

    @classmethod
    def from_args(cls, args: Any) -> QueueFilter:
        """Unknown values are ignored rather than refused: a stale bookmark still opens. An
        unknown district is kept, to be said, and matches nothing. A search looks at every
        status unless one is chosen: the citizen on the phone may ask about a closed case."""
        q = search.clean(args.get("q", ""))[: search.MAX_SEARCH_CHARS + 1]
        status = args.get("status", "all" if q else "open")
        if status not in ("open", "all", *(s.value for s in Status)):
            status = "open"
        category = args.get("category", "")
        sla = args.get("sla", "")
        raw_district = args.get("district", "").strip()
        district = _district(raw_district) if raw_district else None
        page = _ascii_number(args.get("page", ""))
        sort = args.get("sort", "")
        return cls(
            status=status,
            programme=_code(args.get("programme", "")),
            category=category if category in {c.value for c in Category} else "",
            district=district,
            sla=sla if sla in SLA_STATES else "",
            page=max(1, page or 1),
            unknown_district="" if district else raw_district[:MAX_DISTRICT_NAME],
            q=q,
            sort=sort if sort in SORTS else "deadline",
            mine=args.get("mine", "").strip().lower() in _YES,
            waiting=args.get("waiting", "").strip().lower() in _YES,
        )

    @property
    def search_too_long(self) -> bool:
        return len(self.q) > search.MAX_SEARCH_CHARS

    @property
    def parsed_search(self) -> search.Search | None:
        """What the search box holds, if anything (None also when it is too long)."""
        return None if not self.q or self.search_too_long else search.parse(self.q)

    @property
    def district_suggestions(self) -> list[str]:
        return place_index().suggest("district", self.unknown_district) if self.unknown_district else []

    def as_args(self, **changes: Any) -> dict[str, Any]:
        values = {**self.__dict__, **changes}
        unknown = values.pop("unknown_district")
        if unknown and values["district"] is None:
            values["district"] = unknown  # the export and the next page match nothing too
        for flag in ("mine", "waiting"):
            values[flag] = "1" if values[flag] else ""
        defaults = {"page": 1, "sort": "deadline"}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


def _code(value: str) -> str:
    """A programme code (letters, digits, '_' or '-'), else "": PostgreSQL refuses a NUL byte
    in a query, and nothing else could match."""
    code = value.strip().upper()[:16]
    return code if re.fullmatch(r"[A-Z0-9_-]+", code, flags=re.ASCII) else ""


# A district name longer than this is no district (the longest spelling has 24 letters).
MAX_DISTRICT_NAME = 60


def _district(value: str) -> int | None:
    """A district by its code (the queue's own links), or by any spelling of its name or its
    BBS geo-code, as a ministry's link or a typed address bar would give it ("Comilla",
    "BD2019"); None if no district is meant."""
    index = place_index()
    if _ascii_number(value) is not None:
        return _ascii_number(value) if _ascii_number(value) in index.ids("district") else None
    return index.find("district", value) if len(value) <= MAX_DISTRICT_NAME else None


def _ascii_number(value: str) -> int | None:
    """A whole number written in ASCII or Bengali digits, or None (other scripts' digits,
    "²", "١", "３", are no number here)."""
    digits = to_ascii_digits(value.strip())
    if len(digits) > MAX_NUMBER_DIGITS or not is_ascii_number(digits):
        return None
    return int(digits)


@dataclass(frozen=True)
class CitizenShown:
    """Who a found complaint is about, masked as the case page masks them."""

    name: str  # "Bangla name / English name", or "" for a complaint not in the registry
    masked_nid: str
    masked_phone: str


@dataclass
class QueuePage:
    rows: list[Grievance]
    total: int  # at most COUNT_CAP
    filter: QueueFilter
    locale: str = "en"
    more: bool = False  # more than ``total`` cases match (only ever with total == COUNT_CAP)
    more_after: bool = False  # a case follows this page's (one row more was read to know)
    pages: int = field(init=False)
    ages: dict[int, int] = field(default_factory=dict)  # grievance id -> working days
    # For a search only: whom each found complaint is about.
    citizens: dict[int, CitizenShown] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pages = page_count(self.total)

    @property
    def has_next(self) -> bool:
        return self.filter.page < self.pages or (self.more and self.more_after)

    def district(self, grievance: Grievance) -> str:
        return place_name("district", grievance.district_id, self.locale)

    def upazila(self, grievance: Grievance) -> str:
        return place_name("upazila", grievance.upazila_id, self.locale)


def place_name(level: str, place_id: int | None, locale: str) -> str:
    """A place's name in the user's language, from the in-memory index (no query per row)."""
    place = place_index().places.get((level, place_id)) if place_id else None
    if place is None:
        return ""
    return place.name_bn if locale == "bn" else place.name_en


def district_choices(locale: str) -> list[tuple[int, str]]:
    """Every district, by name in the user's language."""
    places = [p for p in place_index().places.values() if p.level == "district"]
    return sorted(((p.id, p.name_bn if locale == "bn" else p.name_en) for p in places), key=lambda choice: choice[1])


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _conditions(
    user: StaffUser, f: QueueFilter, now: dt.datetime, found: list[int] | None = None
) -> list[ColumnElement[bool]]:
    """The filter as conditions; ``found``: the search's case ids, when already read."""
    conditions = [visible(user)]
    if f.status == "open":
        conditions.append(Grievance.status.in_(OPEN))
    elif f.status != "all":
        conditions.append(Grievance.status == Status(f.status))
    if f.programme:
        conditions.append(Grievance.programme_code == f.programme)
    if f.category:
        conditions.append(Grievance.category == Category(f.category))
    if f.district:
        conditions.append(Grievance.district_id == f.district)
    elif f.unknown_district:
        conditions.append(false())
    if f.sla == "overdue":
        conditions.append(Grievance.due_at < now)
    elif f.sla == "due_soon":
        conditions.append(Grievance.due_at.between(now, now + DUE_SOON))
    elif f.sla == "on_time":
        conditions.append(Grievance.due_at > now + DUE_SOON)
    if f.mine:
        conditions.append(Grievance.assigned_to == user.id)
    if f.waiting:
        conditions.append(waiting_for_citizen())
    if f.search_too_long:
        conditions.append(false())  # refused, and said so: never every case
    elif found is not None:
        conditions.append(Grievance.id.in_(found))
    elif f.parsed_search is not None:
        conditions.append(search.matches(f.parsed_search))
    return conditions


def queue_query(user: StaffUser, f: QueueFilter, found: list[int] | None = None) -> Select:
    """Every case the filter selects, in its order (for the page and the CSV)."""
    conditions = _conditions(user, f, utcnow(), found=found)
    return select(Grievance).where(*conditions).order_by(*_ORDER[f.sort])


def queue_page(session: Session, user: StaffUser, f: QueueFilter, locale: str = "en") -> QueuePage:
    """One page of the queue: a count, the page's rows, and for those rows their age (the
    calendar is cached) and, for a search, their citizens (one query for the page)."""
    found = _found(session, f)
    conditions = _conditions(user, f, utcnow(), found=found)
    matching = select(Grievance.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(matching))
    total, more = min(counted, COUNT_CAP), counted > COUNT_CAP
    if not more:
        # A page past the end (an old bookmark, a typed number) shows the last page.
        f = replace(f, page=min(f.page, page_count(total)))
    page_of = queue_query(user, f, found).limit(PAGE_SIZE + 1).offset((f.page - 1) * PAGE_SIZE)
    rows = list(session.scalars(page_of))
    more_after, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    page = QueuePage(rows, total, f, locale, more=more, ages=ages(session, rows), more_after=more_after)
    if f.q and rows:
        page.citizens = citizens_shown(session, rows)
    return page


def _found(session: Session, f: QueueFilter) -> list[int] | None:
    """The search's case ids, read once for both the count and the page (a part of a name is
    the dearest look-up of all), if there are at most FOUND_CAP of them; None otherwise, or
    with no search: then the count and the page each run the search as a subquery."""
    readings = f.parsed_search if not f.search_too_long else None
    ids = search.matching_ids(readings) if readings is not None else None
    if ids is None:
        return None
    found = list(session.scalars(ids.limit(FOUND_CAP + 1)))
    return found if len(found) <= FOUND_CAP else None


def ages(session: Session, rows: list[Grievance], now: dt.datetime | None = None) -> dict[int, int]:
    """Working days since each complaint was filed, by the SLA calendar (Dhaka days, the
    weekend and the holidays): to today while it is open, else to when it was resolved or
    last changed."""
    if not rows:
        return {}
    off, now = holidays(session), now or utcnow()

    def working_days(g: Grievance) -> int:
        end = now if g.status in OPEN else (g.first_resolved_at or g.updated_at or now)
        start, stop = (as_utc(moment).astimezone(DHAKA).date() for moment in (g.created_at, end))
        return working_days_between(start, stop, off)

    return {g.id: working_days(g) for g in rows}


def citizens_shown(session: Session, rows: list[Grievance]) -> dict[int, CitizenShown]:
    """Whom each complaint is about, masked as on the case page (name, NID's last digits,
    phone's operator and last digits)."""
    ids = {g.citizen_id for g in rows if g.citizen_id}
    columns = (Citizen.id, Citizen.name_bn, Citizen.name_en, Citizen.nid)
    people = {row.id: row for row in session.execute(select(*columns).where(Citizen.id.in_(ids)))} if ids else {}
    phones = contact_phones(session, rows)
    shown = {}
    for g in rows:
        person = people.get(g.citizen_id)
        shown[g.id] = CitizenShown(
            name=f"{person.name_bn} / {person.name_en}" if person else "",
            masked_nid=(mask_nid(person.nid) or "") if person else "",
            masked_phone=mask_mobile(phones.get(g.id)) or "",
        )
    return shown


def sla_state(grievance: Grievance, now: dt.datetime | None = None) -> str:
    if grievance.due_at is None or grievance.status not in OPEN:
        return ""
    now = now or utcnow()
    due = as_utc(grievance.due_at)
    if due < now:
        return "overdue"
    return "due_soon" if due <= now + DUE_SOON else "on_time"
