"""Likely duplicate people: the same name, date of birth and upazila under different NIDs.

Two records of one person draw two allowances; a second NID is how a ghost is made from a
real beneficiary. Names are compared normalised (foundation.names.normalised_name), the
English and the Bangla spelling each on its own: a clerk who retyped one person may have
spelled the English differently and the Bangla the same, or the other way round."""

from __future__ import annotations

from sqlalchemy import Select, func, literal, select, union_all

from foundation.names import normalised_name
from registry.models import Citizen, Upazila


def _keyed(script: str, name):
    key = normalised_name(name)
    return select(
        literal(script).label("matched_on"),
        key.label("name_key"),
        Citizen.id.label("citizen_id"),
        # An NID is unique to a record, so the records sharing the key are that many NIDs
        # (neither database counts DISTINCT over a window).
        func.count().over(partition_by=(key, Citizen.date_of_birth, Citizen.upazila_id)).label("nids"),
    ).where(key != "")


def likely_duplicates() -> Select:
    """Every citizen who shares a normalised name (English or Bangla), date of birth and
    upazila with someone under another NID; ``group`` numbers each set of look-alikes so the
    reviewer sees which records go together (the caller masks NID, name and phone)."""
    keyed = union_all(_keyed("en", Citizen.name_en), _keyed("bn", Citizen.name_bn)).subquery("keyed")
    matches = select(keyed).where(keyed.c.nids > 1).subquery("matches")
    group = func.dense_rank().over(
        order_by=(matches.c.matched_on, Citizen.upazila_id, Citizen.date_of_birth, matches.c.name_key)
    )
    return (
        select(
            group.label("group"),
            matches.c.matched_on,
            Citizen.nid,
            Citizen.name_en,
            Citizen.name_bn,
            Citizen.date_of_birth,
            Upazila.name_en.label("upazila"),
            Citizen.mobile,
        )
        .join(Citizen, Citizen.id == matches.c.citizen_id)
        .join(Upazila, Upazila.id == Citizen.upazila_id)
        .order_by(group, Citizen.nid)
    )
