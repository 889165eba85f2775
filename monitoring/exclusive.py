"""One person enrolled in programmes meant to exclude each other.

The pairs are data beside the eligibility rules (registry/seed/exclusive_programmes.csv),
each with its source and a status: "confirmed" where a rule or manual says so, "to
confirm" where policy must still say. Every pair is checked either way and the status
travels with each finding, so a reviewer knows how firm the rule behind it is."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, and_, case, literal, or_, select
from sqlalchemy.orm import aliased

from registry.models import Citizen, Enrolment, EnrolmentStatus, Upazila

EXCLUSIVE_PROGRAMMES = Path(__file__).resolve().parent.parent / "registry" / "seed" / "exclusive_programmes.csv"
STATUSES = ("confirmed", "to confirm")


@dataclass(frozen=True)
class ExclusivePair:
    programme_a: str
    programme_b: str
    source: str
    status: str


@functools.cache
def exclusive_pairs(path: Path = EXCLUSIVE_PROGRAMMES) -> tuple[ExclusivePair, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        pairs = tuple(
            ExclusivePair(row["programme_a"].strip(), row["programme_b"].strip(), row["source"].strip(), row["status"])
            for row in csv.DictReader(handle)
        )
    for pair in pairs:
        if pair.status not in STATUSES or not pair.source or pair.programme_a == pair.programme_b:
            raise ValueError(f"exclusive programmes: a pair needs two programmes, a source and a status: {pair}")
    return pairs


def exclusive_enrolments(pairs: tuple[ExclusivePair, ...] | None = None) -> Select:
    """Every person with an enrolment (active or suspended) in both programmes of a pair:
    one self-join of enrolments, the pairs as its condition (the caller masks the NID)."""
    pairs = exclusive_pairs() if pairs is None else pairs
    if not pairs:
        return select(literal(None).label("nid")).where(literal(False))
    first, second = aliased(Enrolment), aliased(Enrolment)
    matches = [and_(first.programme_code == p.programme_a, second.programme_code == p.programme_b) for p in pairs]
    status = case(
        *((match, pair.status) for match, pair in zip(matches, pairs, strict=True)),
    )
    return (
        select(
            Citizen.nid,
            Upazila.name_en.label("upazila"),
            first.programme_code.label("programme_a"),
            second.programme_code.label("programme_b"),
            status.label("rule_status"),
        )
        .join(first, first.citizen_id == Citizen.id)
        .join(second, second.citizen_id == Citizen.id)
        .join(Upazila, Upazila.id == Citizen.upazila_id)
        .where(or_(*matches), first.status != EnrolmentStatus.EXITED, second.status != EnrolmentStatus.EXITED)
        .order_by(Citizen.nid, first.programme_code, second.programme_code)
    )
