"""Reference lookups an import needs: places by any spelling or code, programmes, citizens by NID."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bulk import in_values
from registry.models import Citizen, District, Programme, Upazila
from registry.places import Place, PlaceIndex, UnknownPlace, seed_aliases
from registry.validation import InvalidValue
from sahayata.i18n import is_ascii_number, to_ascii_digits

_DISTRICTS = select(District.id, District.name_en, District.name_bn, District.division_id)
_UPAZILAS = select(Upazila.id, Upazila.name_en, Upazila.name_bn, Upazila.district_id)
# Our ids are the codes a file may give; longer numbers are no id (a BBS geo-code starts "BD").
_MAX_CODE_DIGITS = 6


def _code(raw: str) -> int | None:
    digits = to_ascii_digits((raw or "").strip())
    return int(digits) if is_ascii_number(digits) and len(digits) <= _MAX_CODE_DIGITS else None


@dataclass
class Lookups:
    places: PlaceIndex  # districts and upazilas of the registry, with every alias of seed/geo
    programmes: dict[str, str]  # lower-case code -> code
    citizen_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Lookups:
        places = [
            *(Place("district", i, en, bn, div) for i, en, bn, div in session.execute(_DISTRICTS)),
            *(Place("upazila", i, en, bn, dist) for i, en, bn, dist in session.execute(_UPAZILAS)),
        ]
        programmes = {code.lower(): code for code in session.scalars(select(Programme.code))}
        return cls(PlaceIndex(places, seed_aliases()), programmes)

    def district(self, raw: str) -> int:
        """A district by its code (our id), any spelling of its name, or its BBS geo-code."""
        code = _code(raw)
        if code is not None:
            if code not in self.places.ids("district"):
                raise InvalidValue(f"unknown district code {raw!r}")
            return code
        try:
            return self.places.resolve("district", raw or "")
        except UnknownPlace as exc:
            raise InvalidValue(str(exc)) from None

    def upazila(self, raw: str, district_id: int) -> int:
        """An upazila of this district by code, any spelling of its name, or geo-code: the same
        name (Kaliganj, Sadar) is a different upazila in another district."""
        code = _code(raw)
        if code is not None:
            upazila = self.places.places.get(("upazila", code))
            if upazila is None:
                raise InvalidValue(f"unknown upazila code {raw!r}")
            if upazila.parent_id != district_id:
                raise InvalidValue(f"upazila {raw!r} is not in the given district")
            return code
        try:
            return self.places.resolve("upazila", raw or "", district_id)
        except UnknownPlace as exc:
            raise InvalidValue(str(exc)) from None

    def programme(self, raw: str) -> str:
        key = (raw or "").strip().lower()
        if key not in self.programmes:
            raise InvalidValue(f"unknown programme {raw!r}")
        return self.programmes[key]

    def resolve_citizens(self, session: Session, nids: Iterable[str]) -> None:
        """Fill ``citizen_ids`` for these NIDs with one query per chunk."""
        missing = sorted({nid for nid in nids if nid not in self.citizen_ids})
        for start in range(0, len(missing), 10_000):
            chunk = missing[start : start + 10_000]
            for citizen_id, nid in session.execute(
                select(Citizen.id, Citizen.nid).where(in_values(session, Citizen.nid, chunk))
            ):
                self.citizen_ids[nid] = citizen_id
