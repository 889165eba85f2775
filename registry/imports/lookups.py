"""Reference lookups an import needs: places by any spelling or code, programmes, citizens by NID."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.bulk import in_values
from foundation.i18n import is_ascii_number, to_ascii_digits
from registry.models import Citizen, District, Programme, Upazila
from registry.places import MAX_SUGGESTIONS, Place, PlaceIndex, UnknownPlace, loose_key, seed_aliases
from registry.validation import InvalidValue

_DISTRICTS = select(District.id, District.name_en, District.name_bn, District.division_id)
_UPAZILAS = select(Upazila.id, Upazila.name_en, Upazila.name_bn, Upazila.district_id)
# Our ids are the codes a file may give; longer numbers are no id (a BBS geo-code starts "BD").
_MAX_CODE_DIGITS = 6
# An upazila's BBS geo-code: BD, division, district, upazila ("BD55850073"); its first six
# characters are its district's geo-code.
_UPAZILA_GEOCODE = re.compile(r"BD\d{8}", re.IGNORECASE)
_CANDIDATES_SHOWN = 10  # "Sadar" is in most districts: the first few make the point


def _number(raw: str) -> int | None:
    digits = to_ascii_digits((raw or "").strip())
    return int(digits) if is_ascii_number(digits) and len(digits) <= _MAX_CODE_DIGITS else None


def _bbs_numbers(places: PlaceIndex) -> dict[tuple[str, int], dict[int, tuple[int, str]]]:
    """(level, district for an upazila or 0) -> BBS number -> (our id, geo-code): BD2019 is
    district 19 (Cumilla), BD55850073 upazila 73 of district 85 (Pirgachha of Rangpur)."""
    numbers: dict[tuple[str, int], dict[int, tuple[int, str]]] = {}
    for alias in seed_aliases():
        place = places.places.get((alias.level, alias.id))
        if alias.kind != "geocode" or place is None or alias.level not in ("district", "upazila"):
            continue
        scope = (place.parent_id or 0) if alias.level == "upazila" else 0
        number = int(alias.alias[6:] if alias.level == "upazila" else alias.alias[4:6])
        numbers.setdefault((alias.level, scope), {})[number] = (alias.id, alias.alias)
    return numbers


@dataclass
class Lookups:
    places: PlaceIndex  # districts and upazilas of the registry, with every alias of seed/geo
    programmes: dict[str, str]  # lower-case code -> code
    citizen_ids: dict[str, int] = field(default_factory=dict)
    # The programmes this import may write (a ministry's own); None: every programme.
    writable: frozenset[str] | None = None
    bbs_numbers: dict[tuple[str, int], dict[int, tuple[int, str]]] = field(init=False)

    def __post_init__(self) -> None:
        self.bbs_numbers = _bbs_numbers(self.places)

    @classmethod
    def load(cls, session: Session, writable: Collection[str] | None = None) -> Lookups:
        places = [
            *(Place("district", i, en, bn, div) for i, en, bn, div in session.execute(_DISTRICTS)),
            *(Place("upazila", i, en, bn, dist) for i, en, bn, dist in session.execute(_UPAZILAS)),
        ]
        programmes = {code.lower(): code for code in session.scalars(select(Programme.code))}
        return cls(
            PlaceIndex(places, seed_aliases()),
            programmes,
            writable=None if writable is None else frozenset(writable),
        )

    def district(self, raw: str) -> int:
        """A district by its code (our id), any spelling of its name, or its BBS geo-code."""
        code = self._code("district", raw, 0)
        if code is not None:
            return code
        try:
            return self.places.resolve("district", raw or "")
        except UnknownPlace as exc:
            raise InvalidValue(str(exc)) from None

    def upazila(self, raw: str, district_id: int) -> int:
        """An upazila of this district by code, any spelling of its name, or geo-code: the same
        name (Kaliganj, Sadar) is a different upazila in another district."""
        code = self._code("upazila", raw, district_id)
        if code is not None:
            return code
        try:
            return self.places.resolve("upazila", raw or "", district_id)
        except UnknownPlace as exc:
            raise InvalidValue(str(exc)) from None

    def upazila_anywhere(self, raw: str) -> int:
        """An upazila named without a separate district: its code (our id, which no other
        upazila has), its BBS geo-code (which holds its district's), "District/Upazila", or a
        name only one district's upazila has. A name several districts have (Kaliganj,
        Sadar) is refused, naming each candidate as District/Upazila: a wrong upazila would
        show an officer another office's cases."""
        text = (raw or "").strip()
        if "/" in text:
            district, _, upazila = text.partition("/")
            return self.upazila(upazila.strip(), self.district(district.strip()))
        if _UPAZILA_GEOCODE.fullmatch(text):
            try:
                district_id = self.district(text[:6])
            except InvalidValue:
                raise InvalidValue(f"unknown upazila geo-code {raw!r}") from None
            return self.upazila(text, district_id)
        number = _number(text)
        if number is not None:
            if ("upazila", number) not in self.places.places:
                raise InvalidValue(f"unknown upazila code {raw!r}: write the name, District/Upazila or the geo-code")
            if text != str(number):  # "07" or "০৭" is how a BBS number is written, not our code
                raise InvalidValue(
                    f"upazila code {raw!r}: the code of {self.district_and_upazila(number)} is written {number}"
                )
            return number
        districts = sorted(self.places.ids("district"))
        found = [found for d in districts if (found := self.places.find("upazila", text, d)) is not None]
        if len(found) == 1:
            return found[0]
        if found:
            names = [self.district_and_upazila(i) for i in found]
            shown = ", ".join(names[:_CANDIDATES_SHOWN]) + (
                f" and {len(names) - _CANDIDATES_SHOWN} more" if len(names) > _CANDIDATES_SHOWN else ""
            )
            raise InvalidValue(
                f"upazila {raw!r} is ambiguous: {len(names)} districts have one ({shown}); "
                "write District/Upazila or the geo-code"
            )
        raise InvalidValue(str(UnknownPlace("upazila", raw, self._suggest_anywhere(text, districts))))

    def district_and_upazila(self, upazila_id: int) -> str:
        """An upazila as "District/Upazila", the way ``upazila_anywhere`` takes it back."""
        upazila = self.places.places[("upazila", upazila_id)]
        return f"{self._name('district', upazila.parent_id or 0)}/{upazila.name_en}"

    def _suggest_anywhere(self, text: str, districts: list[int]) -> list[str]:
        """The closest of every district's suggestions for an unknown upazila name."""
        key = loose_key(text)
        by_name = {
            f"{self._name('district', d)}/{name}": name
            for d in districts
            for name in self.places.suggest("upazila", text, d)
        }
        ranked = sorted(
            by_name, key=lambda shown: -difflib.SequenceMatcher(None, key, loose_key(by_name[shown])).ratio()
        )
        return ranked[:MAX_SUGGESTIONS]

    def _code(self, level: str, raw: str, district_id: int) -> int | None:
        """Our id for a bare number, None for a name. Files carry BBS numbers as well as our
        ids, and 40 of our 64 district ids are another district's BBS number (19 is Cumilla
        there, Naogaon here): a number is our id only when written as we write ids (ASCII,
        no leading zero: "04" and "০৪" look like BBS numbers) and, for a district, when it
        is no other district's BBS number. Otherwise InvalidValue names what it could be."""
        number = _number(raw)
        if number is None:
            return None
        text = raw.strip()
        ours = self.places.places.get((level, number))
        elsewhere = None
        if ours is not None and level == "upazila" and ours.parent_id != district_id:
            elsewhere, ours = ours, None
        bbs = self.bbs_numbers.get((level, district_id), {}).get(number)
        canonical = text == str(number)
        # An upazila id is also taken when it is another upazila's BBS number in the district
        # (8 of 494 are): the registry's own files (demo data) give upazilas by id, and a BBS
        # upazila number is rarely given bare. A district id never is (40 of 64 are).
        if ours is not None and canonical and (bbs is None or bbs[0] == number or level == "upazila"):
            return number
        where = f" in {self._name('district', district_id)}" if level == "upazila" else ""
        if bbs is not None and ours is not None and bbs[0] != ours.id:
            codes = ", ".join(f"{code} {self._name(level, i)}" for i, code in (self._geocode(ours), bbs) if code)
            raise InvalidValue(
                f"{level} code {raw!r}{where} is ambiguous: our code for {ours.name_en} and the BBS code of "
                f"{self._name(level, bbs[0])}; write the name or the geo-code ({codes})"
            )
        if ours is not None:
            raise InvalidValue(f"{level} code {raw!r}{where}: the code of {ours.name_en} is written {number}")
        if bbs is not None:
            raise InvalidValue(
                f"unknown {level} code {raw!r}{where}: it is the BBS code of {self._name(level, bbs[0])}; "
                f"write its geo-code {bbs[1]} or the name"
            )
        if elsewhere is not None:
            district = self._name("district", elsewhere.parent_id or 0)
            raise InvalidValue(f"upazila {raw!r} is {elsewhere.name_en} of {district}, not in the given district")
        raise InvalidValue(f"unknown {level} code {raw!r}{where}")

    def _geocode(self, place: Place) -> tuple[int, str]:
        scope = (place.parent_id or 0) if place.level == "upazila" else 0
        codes = [code for i, code in self.bbs_numbers.get((place.level, scope), {}).values() if i == place.id]
        return place.id, codes[0] if codes else ""

    def _name(self, level: str, place_id: int) -> str:
        return self.places.places[(level, place_id)].name_en

    def programme(self, raw: str) -> str:
        key = (raw or "").strip().lower()
        if key not in self.programmes:
            raise InvalidValue(f"unknown programme {raw!r}")
        code = self.programmes[key]
        if self.writable is not None and code not in self.writable:
            own = ", ".join(sorted(self.writable)) or "none"
            raise InvalidValue(f"programme {code} is another ministry's; this import may write only {own}")
        return code

    def resolve_citizens(self, session: Session, nids: Iterable[str]) -> None:
        """Fill ``citizen_ids`` for these NIDs with one query per chunk."""
        missing = sorted({nid for nid in nids if nid not in self.citizen_ids})
        for start in range(0, len(missing), 10_000):
            chunk = missing[start : start + 10_000]
            for citizen_id, nid in session.execute(
                select(Citizen.id, Citizen.nid).where(in_values(session, Citizen.nid, chunk))
            ):
                self.citizen_ids[nid] = citizen_id
