"""Applying a delivery receipt: the status moves forward only, so a late or repeated
receipt changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from outbound_sms.models import Message, MessageStatus
from outbound_sms.status import may_advance

FAILURES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


def apply_receipt(session: Session, message: Message | None, status: MessageStatus, error: str) -> bool:
    """Record ``status`` on ``message`` if it is a step forward; commits. True if it changed."""
    if message is None or not may_advance(message.status, status):
        return False
    message.status = status
    if status in FAILURES:
        message.error = error[:200]
    session.commit()
    return True
