"""A message's status only moves forward: created -> sending -> sent -> delivered, or to
failed/undelivered. Delivery receipts arrive late or twice; an older or repeated one changes
nothing."""

from __future__ import annotations

from outbound_sms.models import MessageStatus

S = MessageStatus
RANK = {S.CREATED: 0, S.SENDING: 1, S.SENT: 2, S.DELIVERED: 3, S.FAILED: 3, S.UNDELIVERED: 3}
FINAL = frozenset({S.DELIVERED, S.FAILED, S.UNDELIVERED})


def may_advance(current: MessageStatus, new: MessageStatus) -> bool:
    return current not in FINAL and RANK[new] > RANK[current]


def overtaken_by(new: MessageStatus) -> frozenset[MessageStatus]:
    """The statuses that ``new`` may replace."""
    return frozenset(status for status in MessageStatus if may_advance(status, new))
