"""Which phone reaches the person behind a complaint."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grievance.models import Grievance
from registry.models import Citizen


def contact_phone(session: Session, grievance: Grievance) -> str | None:
    """The registry's number for a registered citizen (it may be newer than the filing);
    otherwise the number that filed the complaint."""
    if grievance.citizen_id:
        mobile = session.scalar(select(Citizen.mobile).where(Citizen.id == grievance.citizen_id))
        if mobile:
            return mobile
    return grievance.contact_phone
