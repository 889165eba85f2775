"""What a citizen's answer does to their complaint, whichever channel it came by: "was it
resolved? 1 yes / 2 no", and the information an office asked for.

Each function decides, writes and commits, and returns what happened; the channel only
words the reply. The citizen has their reply, so none of these changes is notified again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from foundation.privacy import phone_hashes
from grievance.intake import find_by_tracking_number
from grievance.models import Channel, Grievance, Status
from grievance.status import change_status, record
from registry.services import caller_by_mobile

INFORMATION_MAX_CHARS = 400  # of the citizen's answer, in the trail

Outcome = TypeVar("Outcome", bound=enum.Enum)


class Resolution(enum.Enum):
    NOTHING_TO_ANSWER = "nothing to answer"  # no resolved complaint of theirs
    CLOSED = "closed"  # yes: resolved
    APPEALED = "appealed"  # no: reopened, and at the appeal officer


class Information(enum.Enum):
    NOT_THEIRS = "not theirs"  # no such complaint, or another person's: the same to the sender
    NOTHING_SAID = "nothing said"
    ADDED = "added"


@dataclass(frozen=True)
class Answered(Generic[Outcome]):
    """What the answer did, and to which complaint (None when it did nothing to one)."""

    outcome: Outcome
    tracking_number: str | None = None
    locale: str | None = None  # the complaint's language, for a sender the registry does not know


def _answered(outcome: Outcome, grievance: Grievance) -> Answered[Outcome]:
    return Answered(outcome, grievance.tracking_number, grievance.locale)


def answer_resolution(
    session: Session, phone: str, tracking_number: str | None, said_yes: bool, *, channel: Channel
) -> Answered[Resolution]:
    """Yes closes the complaint; no reopens it and sends it to the appeal officer, with that
    tier's clock. Without a number, the answer is to the complaint this phone filed that was
    marked resolved last; with one, to that complaint if it is the sender's and resolved."""
    grievance = _resolved(session, phone, tracking_number)
    if grievance is None:
        return Answered(Resolution.NOTHING_TO_ANSWER)
    _rehash(grievance, phone)
    by = channel.name
    if said_yes:
        change_status(session, grievance, Status.CLOSED, "citizen", f"confirmed resolved by {by}", tell_citizen=False)
        session.commit()
        return _answered(Resolution.CLOSED, grievance)
    note = f"not resolved, said the citizen by {by}"
    change_status(session, grievance, Status.REOPENED, "citizen", note, tell_citizen=False)
    change_status(
        session, grievance, Status.APPEALED, "system", "reopened by the citizen: appeal tier", tell_citizen=False
    )
    session.commit()
    return _answered(Resolution.APPEALED, grievance)


def add_information(
    session: Session, phone: str, tracking_number: str, text: str, *, channel: Channel
) -> Answered[Information]:
    """The answer to an office's question, added to the complaint's trail (status unchanged).
    Only the complainant may add to it: from the phone that filed it, or the registered
    phone of the citizen it is about."""
    grievance = find_by_tracking_number(session, tracking_number)
    if grievance is None or not is_complainant(session, grievance, phone):
        return Answered(Information.NOT_THEIRS)
    if not text.strip():
        return Answered(Information.NOTHING_SAID)
    _rehash(grievance, phone)
    note = f"the citizen answered by {channel.name}: {text.strip()[:INFORMATION_MAX_CHARS]}"
    record(session, grievance, grievance.status, "citizen", note, from_status=grievance.status, tell_citizen=False)
    session.commit()
    return _answered(Information.ADDED, grievance)


def is_complainant(session: Session, grievance: Grievance, phone: str) -> bool:
    """Whether ``phone`` (E.164) filed the complaint or is the registered phone of its citizen."""
    if grievance.phone_hash in phone_hashes(phone):
        return True
    caller = caller_by_mobile(session, phone) if grievance.citizen_id is not None else None
    return caller is not None and caller.citizen_id == grievance.citizen_id


def _resolved(session: Session, phone: str, tracking_number: str | None) -> Grievance | None:
    if tracking_number is not None:
        grievance = find_by_tracking_number(session, tracking_number)
        if grievance is None or grievance.status is not Status.RESOLVED:
            return None
        return grievance if is_complainant(session, grievance, phone) else None
    return session.scalars(
        select(Grievance)
        .where(Grievance.phone_hash.in_(phone_hashes(phone)), Grievance.status == Status.RESOLVED)
        .order_by(Grievance.updated_at.desc())
        .limit(1)
    ).first()


def _rehash(grievance: Grievance, phone: str) -> None:
    """A complaint the phone filed under an earlier key moves to the current one with the
    change being made to it, so the earlier key can later be dropped."""
    current, *earlier = phone_hashes(phone)
    if grievance.phone_hash in earlier:
        grievance.phone_hash = current
