"""Reference lookups an import needs: places by name or code, programmes, citizens by NID."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bulk import in_values
from registry.models import Citizen, District, Programme, Upazila
from registry.validation import InvalidValue
from sahayata.i18n import is_ascii_number, to_ascii_digits


@dataclass
class Lookups:
    districts: dict[str, int]  # lower-case English name or code -> id
    upazilas_by_name: dict[tuple[int, str], int]  # (district id, lower-case name) -> id
    upazila_district: dict[int, int]  # upazila id -> district id
    programmes: dict[str, str]  # lower-case code -> code
    citizen_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Lookups:
        districts: dict[str, int] = {}
        for district_id, name in session.execute(select(District.id, District.name_en)):
            districts[name.lower()] = district_id
            districts[str(district_id)] = district_id
        upazilas_by_name: dict[tuple[int, str], int] = {}
        upazila_district: dict[int, int] = {}
        for upazila_id, district_id, name in session.execute(select(Upazila.id, Upazila.district_id, Upazila.name_en)):
            upazilas_by_name[(district_id, name.lower())] = upazila_id
            upazila_district[upazila_id] = district_id
        programmes = {code.lower(): code for code in session.scalars(select(Programme.code))}
        return cls(districts, upazilas_by_name, upazila_district, programmes)

    def district(self, raw: str) -> int:
        key = (raw or "").strip().lower()
        if key not in self.districts:
            raise InvalidValue(f"unknown district {raw!r} (use the English name or the code)")
        return self.districts[key]

    def upazila(self, raw: str, district_id: int) -> int:
        key = (raw or "").strip().lower()
        if is_ascii_number(to_ascii_digits(key)):
            upazila_id = int(to_ascii_digits(key))
            if upazila_id not in self.upazila_district:
                raise InvalidValue(f"unknown upazila code {raw!r}")
            if self.upazila_district[upazila_id] != district_id:
                raise InvalidValue(f"upazila {raw!r} is not in the given district")
            return upazila_id
        if (district_id, key) not in self.upazilas_by_name:
            raise InvalidValue(f"no upazila {raw!r} in the given district")
        return self.upazilas_by_name[(district_id, key)]

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
