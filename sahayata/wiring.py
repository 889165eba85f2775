"""The hooks between the layers: who does the grievance outbox's work, who hears the registry,
who decides what a citizen's "1" or "2" does.

Domains announce; they never call upward. This is the one place that says which handler
answers which announcement, for one app (each app built by create_app is wired).
"""

from __future__ import annotations

from flask import Flask

from foundation.jobs import SMS_QUEUE
from grievance import citizen_answers, outbox, redemption_answers
from grievance.jobs import route_grievance
from notices import alerts, confirmations, notifications, redemptions
from registry import events
from staff import aggregates, signal_store


def wire(app: Flask) -> None:
    outbox.register(app, outbox.ROUTE_GRIEVANCE, route_grievance, queue="default")
    # A slow SMS provider must not hold up routing: what the citizen is told goes to its own queue.
    outbox.register(
        app, outbox.NOTIFY_CITIZEN, notifications.deliver_complaint_updates, queue=SMS_QUEUE, rides_on_waiting_job=True
    )
    outbox.register(app, outbox.ASK_CITIZEN, notifications.deliver_questions, queue=SMS_QUEUE)
    events.subscribe(
        app,
        events.Listener(
            payments_changed=alerts.record_payment_alerts,
            etokens_credited=alerts.record_etoken_alerts,
            import_committed=alerts.queue_alerts,
        ),
    )
    # A redemption's code and receipt go out by SMS, recorded in its transaction.
    events.subscribe(
        app,
        events.Listener(
            redemption_started=redemptions.record_code_sms,
            redemption_started_part=redemptions.code_sms_part,
            redemption_completed=redemptions.record_receipt_sms,
            redemption_completed_part=redemptions.receipt_sms_part,
            redemption_committed=redemptions.queue_redemption_sms,
        ),
    )
    # A share of the payments just credited is asked "did you receive it?"; that question
    # stands in for their "credited" alert (notices.confirmations), in either listener order.
    events.subscribe(
        app,
        events.Listener(
            payments_changed=confirmations.record_payment_confirmations,
            import_committed=confirmations.queue_confirmations,
        ),
    )
    # The dashboards' beneficiaries and payment failure rates are recounted once an import is in.
    events.subscribe(app, events.Listener(import_committed=aggregates.registry_changed))
    # So are the signals (duplicates, exclusive enrolments, targeting move with imports).
    events.subscribe(app, events.Listener(import_committed=signal_store.registry_changed))
    # What an answer to "is it resolved?" and "did you receive it?" does: grievance's rules.
    citizen_answers.register(app)
    # What "1" or "2" to a redemption's code or receipt does: refuse, confirm, dispute.
    redemption_answers.register(app)
