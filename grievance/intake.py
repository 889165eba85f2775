"""One intake for every channel: a complaint, its first trail entry and its outbox work are
committed together before the citizen is told "received"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from grievance.models import Category, Channel, Grievance, OutboxEntry, Status, utcnow
from grievance.status import record
from grievance.tracking import is_valid, new_tracking_number
from registry.models import Citizen
from sahayata.privacy import phone_hashes

DUPLICATE_WINDOW = dt.timedelta(hours=24)
MAX_TEXT = 200


@dataclass(frozen=True)
class Filing:
    phone: str  # E.164
    category: Category
    programme_code: str | None
    text: str | None
    channel: Channel
    locale: str
    citizen_id: int | None = None


@dataclass(frozen=True)
class Filed:
    grievance: Grievance
    duplicate: bool  # True: the same complaint was filed in the last 24 hours; this is that one


def file_grievance(session: Session, filing: Filing, actor: str = "citizen") -> Filed:
    """File a complaint, or return the same one filed in the last 24 hours.

    ``session`` must be transactional (not autocommit): the complaint, its trail and its
    outbox entries are committed together or not at all."""
    # Written under the current key; a twin filed under an earlier key (before a key
    # rotation) still counts as the same complaint.
    hashed, *earlier = phone_hashes(filing.phone)
    existing = session.scalars(
        select(Grievance)
        .where(Grievance.phone_hash.in_([hashed, *earlier]), Grievance.category == filing.category)
        .where(
            Grievance.programme_code.is_(None)
            if filing.programme_code is None
            else Grievance.programme_code == filing.programme_code
        )
        .where(Grievance.created_at >= utcnow() - DUPLICATE_WINDOW)
        .order_by(Grievance.id)
        .limit(1)
    ).first()
    if existing is not None:
        return Filed(existing, duplicate=True)
    citizen = session.get(Citizen, filing.citizen_id) if filing.citizen_id else None
    text = (filing.text or "").strip()[:MAX_TEXT] or None
    grievance = Grievance(
        tracking_number=_free_tracking_number(session),
        citizen_id=filing.citizen_id,
        phone_hash=hashed,
        contact_phone=filing.phone,
        programme_code=filing.programme_code,
        category=filing.category,
        text=text,
        channel=filing.channel,
        locale=filing.locale,
        district_id=citizen.district_id if citizen else None,
        upazila_id=citizen.upazila_id if citizen else None,
        status=Status.RECEIVED,
        tier=1,
    )
    session.add(grievance)
    session.flush()
    record(session, grievance, Status.RECEIVED, actor)
    session.add(OutboxEntry(kind="route_grievance", grievance_id=grievance.id, payload={}))
    session.commit()
    # Only now, after the commit, may a worker see it (and if Redis is down, the sweeper will).
    from grievance.jobs import dispatch

    dispatch([("notify_citizen", grievance.id), ("route_grievance", grievance.id)])
    return Filed(grievance, duplicate=False)


def _free_tracking_number(session: Session) -> str:
    """A random number not yet used. Two filings drawing the same one of 90 million in the
    same instant would meet the unique constraint, and the second would fail cleanly."""
    for _attempt in range(10):
        number = new_tracking_number()
        if session.scalar(select(Grievance.id).where(Grievance.tracking_number == number)) is None:
            return number
    raise RuntimeError("could not draw a free tracking number")


def find_by_tracking_number(session: Session, number: str) -> Grievance | None:
    """None for a number whose check digit is wrong, as for one that does not exist."""
    if not is_valid(number):
        return None
    return session.scalars(select(Grievance).where(Grievance.tracking_number == number)).first()
