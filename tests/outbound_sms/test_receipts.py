"""Delivery receipts: forward only, even when two for one message are applied at once."""

from sqlalchemy import update

from foundation.db import database
from outbound_sms.models import Message, MessageStatus
from outbound_sms.receipts import apply_receipt
from outbound_sms.sending import create_message


def _sending(session) -> int:
    message_id = create_message(
        session, phone="+8801712345678", text="hello", locale="en", template="reply", dedupe_key=None, via="kannel"
    )
    session.execute(update(Message).where(Message.id == message_id).values(status=MessageStatus.SENDING))
    session.commit()
    return message_id


def test_a_submitted_report_read_before_delivery_does_not_write_over_it(app, session):
    """Kannel's "submitted" (type 8) and "delivered" (type 1) reach two threads together:
    both read "sending"; "delivered" commits first; "submitted" must then change nothing."""
    message_id = _sending(session)
    submitted_thread, delivered_thread = database(app).sessions(), database(app).sessions()
    try:
        read_by_submitted = submitted_thread.get(Message, message_id)
        read_by_delivered = delivered_thread.get(Message, message_id)
        assert read_by_submitted.status is read_by_delivered.status is MessageStatus.SENDING
        assert apply_receipt(delivered_thread, read_by_delivered, MessageStatus.DELIVERED, "")
        assert not apply_receipt(submitted_thread, read_by_submitted, MessageStatus.SENT, "")
    finally:
        submitted_thread.close()
        delivered_thread.close()
    session.expire_all()
    assert session.get(Message, message_id).status is MessageStatus.DELIVERED


def test_a_failure_report_records_its_reason(session):
    message = session.get(Message, _sending(session))
    assert apply_receipt(session, message, MessageStatus.FAILED, "Kannel report 16: rejected")
    assert (message.status, message.error) == (MessageStatus.FAILED, "Kannel report 16: rejected")
    assert not apply_receipt(session, message, MessageStatus.DELIVERED, "")  # final is final
