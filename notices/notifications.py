"""Complaint notifications: turn the grievance outbox's notify_citizen entries into SMS.

``deliver_complaint_updates`` is the handler the composition root registers for the kind
(grievance.outbox), run by the outbox's job after that job has cleared the queued mark."""

from __future__ import annotations

from sqlalchemy import select

from foundation.db import transaction
from grievance.contact import contact_phone
from grievance.models import Grievance, OutboxEntry, utcnow
from notices.templates import complaint_update
from outbound_sms.opt_outs import opted_out
from outbound_sms.sending import create_message, send_batch


def deliver_complaint_updates(grievance_id: int) -> int:
    """Create one message per pending notification of this complaint; returns how many.

    Idempotent: an entry is marked done in the same transaction that creates its message,
    and the message's dedupe key is the entry's id."""
    created: list[int] = []
    with transaction() as session:
        entries = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.grievance_id == grievance_id, OutboxEntry.kind == "notify_citizen")
            .where(OutboxEntry.done_at.is_(None))
            .order_by(OutboxEntry.id)
            .with_for_update(skip_locked=True)
        ).all()
        if not entries:
            return 0
        phone = contact_phone(session, session.get(Grievance, grievance_id))
        silenced = not phone or opted_out(session, phone)
        for entry in entries:
            payload = entry.payload
            entry.done_at = utcnow()
            if silenced:
                continue
            text = complaint_update(payload["locale"], payload["tracking_number"], payload["status"])
            message_id = create_message(
                session,
                phone=phone,
                text=text,
                locale=payload["locale"],
                template=f"complaint_{payload['status']}",
                dedupe_key=f"outbox:{entry.id}",
            )
            created.append(message_id)
    # Sent from this job, after the commit: a job per message would cost more than sending.
    send_batch(created)
    return len(created)
