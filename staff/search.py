"""The queue's one search box: what a typed text may mean, and the cases it matches.

A text is tried as everything it could be at once: a tracking number (exact), an NID, a
Bangladeshi mobile number and, when it has letters, part of a citizen's name. "0171..." is
a phone, a 10-digit number may be an NID and a tracking number both, and each reading that
fits adds its cases. The caller applies the user's scope (staff.queue); nothing here logs
the text, which may be a full phone number or NID.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, CompoundSelect, Select, false, select, union

from foundation.i18n import is_ascii_number, to_ascii_digits
from foundation.names import name_key, normalised_name
from foundation.privacy import phone_hashes
from grievance.models import Grievance
from grievance.tracking import is_valid as is_tracking_number
from registry.models import Citizen
from registry.validation import InvalidValue, normalise_mobile, parse_nid

MAX_SEARCH_CHARS = 100  # a name, a number: anything longer is no search
# A part of a name is looked up by its trigrams (migration 0026): fewer characters have none,
# and would make the database read every name in the registry.
MIN_NAME_CHARS = 3
# Between the digits of a number as people copy or say it: "1234 5678-0", "(017) 1234.5678".
_NUMBER_SEPARATORS = re.compile(r"[\s\-.()#/]")
_BANGLA = re.compile(r"[\u0980-\u09ff]")


class SearchTooLong(ValueError):
    """The text is longer than MAX_SEARCH_CHARS."""


@dataclass(frozen=True)
class Search:
    """What a search text may be; empty fields are readings it cannot have."""

    text: str
    tracking_number: str = ""
    nid: str = ""
    mobile: str = ""  # E.164
    name: str = ""  # the name's comparison key (foundation.names)

    @property
    def finds_anything(self) -> bool:
        return bool(self.tracking_number or self.nid or self.mobile or self.name)

    @property
    def name_too_short(self) -> bool:
        """Letters typed, but too few of them to look a name up by."""
        return any(c.isalpha() for c in self.text) and not self.name


def clean(raw: str | None) -> str:
    """The text as typed, without control characters (PostgreSQL refuses a NUL byte, and
    nobody means one) and surrounding spaces."""
    return "".join(c for c in (raw or "") if unicodedata.category(c) != "Cc").strip()


def parse(raw: str | None) -> Search:
    """Every reading of a search text; SearchTooLong past MAX_SEARCH_CHARS."""
    text = clean(raw)
    if len(text) > MAX_SEARCH_CHARS:
        raise SearchTooLong(len(text))
    digits = to_ascii_digits(_NUMBER_SEPARATORS.sub("", text))
    key = name_key(text) if any(c.isalpha() for c in text) else ""
    return Search(
        text=text,
        tracking_number=digits if is_tracking_number(digits) else "",
        nid=_nid(digits),
        mobile=_mobile(text),
        name=key if len(key) >= MIN_NAME_CHARS else "",
    )


def _nid(digits: str) -> str:
    if not is_ascii_number(digits):
        return ""
    try:
        return parse_nid(digits)
    except InvalidValue:
        return ""


def _mobile(text: str) -> str:
    if not any(c.isdigit() for c in text):
        return ""
    try:
        return normalise_mobile(text)
    except InvalidValue:
        return ""


def matching_ids(search: Search) -> Select[tuple[int]] | CompoundSelect | None:
    """The ids of the complaints a search finds, in any scope (the caller adds the user's);
    None if the text can be read no way at all. The phone is
    matched on the complaint's keyed hash (under every key still recognised) and on the
    registered mobile of the citizen it is about; a name on the citizen's name in the
    script it is typed in.

    Each reading is its own indexed look-up (the tracking number's unique index, the
    complaints' phone hash and citizen, the registry's NID, mobile and name trigrams), and
    the case ids they find are united: an OR of them would make the database read every
    complaint in the user's scope and try each reading on it."""
    found: list[Select[tuple[int]]] = []
    if search.tracking_number:
        found.append(select(Grievance.id).where(Grievance.tracking_number == search.tracking_number))
    people: list[ColumnElement[bool]] = []
    if search.nid:
        people.append(Citizen.nid == search.nid)
    if search.mobile:
        found.append(select(Grievance.id).where(Grievance.phone_hash.in_(phone_hashes(search.mobile))))
        people.append(Citizen.mobile == search.mobile)
    if search.name:
        column = Citizen.name_bn if _BANGLA.search(search.name) else Citizen.name_en
        people.append(normalised_name(column).contains(search.name, autoescape=True))
    for person in people:
        found.append(select(Grievance.id).where(Grievance.citizen_id.in_(select(Citizen.id).where(person))))
    if not found:
        return None
    return union(*found) if len(found) > 1 else found[0]


def matches(search: Search) -> ColumnElement[bool]:
    """The complaints a search finds, as a condition (see ``matching_ids``)."""
    ids = matching_ids(search)
    return false() if ids is None else Grievance.id.in_(ids)
