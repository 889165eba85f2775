"""Applying a delivery receipt: the status moves forward only, so a late or repeated
receipt changes nothing.

Receipts for one message can arrive together (Kannel reports "submitted" and "delivered"
within milliseconds, to two web threads or nodes). Each is applied as one conditional
UPDATE, so the database, not what a request read a moment earlier, decides: a "sent"
that loses the race to "delivered" cannot write over it."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from outbound_sms.models import Message, MessageStatus
from outbound_sms.status import may_advance, overtaken_by

FAILURES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


def apply_receipt(session: Session, message: Message | None, status: MessageStatus, error: str) -> bool:
    """Record ``status`` on ``message`` if it is a step forward; commits. True if it changed."""
    if message is None or not may_advance(message.status, status):
        return False
    values: dict[str, object] = {"status": status}
    if status in FAILURES:
        values["error"] = error[:200]
    changed = session.execute(
        update(Message).where(Message.id == message.id, Message.status.in_(overtaken_by(status))).values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    session.expire(message)
    return bool(changed)
