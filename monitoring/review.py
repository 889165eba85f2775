"""Opening a review case for the responsible ministry from one signal item.

A review case is a complaint filed through grievance.intake, so it is routed, tracked and
held to the same deadlines as any other: category "other" (no category fits a pattern
found in the data, and a new one would be a schema change), channel "staff", and a text
naming the signal and the item, masked, so the case never carries a full NID or number.
The reviewer's own phone is the contact: they get the tracking number, never the person
the signal is about (who may be the victim, or the one to be looked into)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from grievance.intake import MAX_TEXT, Filed, Filing, file_grievance
from grievance.models import Category, Channel
from monitoring.signals import MASKS, SIGNALS


def review_text(signal: str, item: Mapping[str, Any]) -> str:
    """ "Signal shared_accounts: account=**5678 households=3 ..." within a complaint's length."""
    if signal not in SIGNALS:
        raise KeyError(f"unknown signal {signal!r}")
    masked = [f"{key}={MASKS[key](value) if key in MASKS else value}" for key, value in item.items()]
    return f"Signal {signal}: {' '.join(masked)}"[:MAX_TEXT]


def open_review_case(
    session: Session, signal: str, item: Mapping[str, Any], *, reviewer_phone: str, programme_code: str | None = None
) -> Filed:
    """File the review case (committed, routed like any complaint to the programme's ministry;
    with no programme, to the default routing for "other"). Opening the same item twice in 24
    hours returns the first case (intake's duplicate rule)."""
    filing = Filing(
        phone=reviewer_phone,
        category=Category.OTHER,
        programme_code=programme_code,
        text=review_text(signal, item),
        channel=Channel.STAFF,
        locale="en",
    )
    return file_grievance(session, filing, actor="monitoring")
