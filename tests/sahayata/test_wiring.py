"""The composition root wires the domains' hooks: outbox handlers and registry listeners."""

from __future__ import annotations

from flask import Flask

from foundation.jobs import SMS_QUEUE
from grievance import citizen_answers, outbox, questions, redemption_answers
from grievance.jobs import route_grievance
from grievance.models import QuestionKind
from notices import alerts, confirmations, notifications, redemptions
from registry import events
from staff import aggregates, signal_store


def test_the_app_has_a_handler_for_every_outbox_kind(app):
    handlers = {kind: (r.handler, r.queue, r.rides_on_waiting_job) for kind, r in outbox.registrations(app).items()}
    assert handlers == {
        "route_grievance": (route_grievance, "default", False),
        "notify_citizen": (notifications.deliver_complaint_updates, SMS_QUEUE, True),
        "ask_citizen": (notifications.deliver_questions, SMS_QUEUE, False),
    }


def test_the_app_subscribes_the_alerts_the_redemption_sms_the_confirmations_and_the_dashboards_to_the_registry(app):
    [listener, redeeming, confirming, dashboards, signal_items] = events.listeners(app)
    assert listener.payments_changed is alerts.record_payment_alerts
    assert listener.etokens_credited is alerts.record_etoken_alerts
    assert listener.import_committed is alerts.queue_alerts
    assert redeeming.redemption_started is redemptions.record_code_sms
    assert redeeming.redemption_started_part is redemptions.code_sms_part
    assert redeeming.redemption_completed is redemptions.record_receipt_sms
    assert redeeming.redemption_completed_part is redemptions.receipt_sms_part
    assert redeeming.redemption_committed is redemptions.queue_redemption_sms
    assert redeeming.payments_changed is None
    assert confirming.payments_changed is confirmations.record_payment_confirmations
    assert confirming.etokens_credited is None
    assert confirming.import_committed is confirmations.queue_confirmations
    assert dashboards.import_committed is aggregates.registry_changed and dashboards.payments_changed is None
    assert signal_items.import_committed is signal_store.registry_changed and signal_items.payments_changed is None


def test_the_grievance_system_decides_what_its_questions_answers_do(app):
    assert questions.handlers(app) == {
        QuestionKind.COMPLAINT_RESOLVED: citizen_answers.complaint_resolved,
        QuestionKind.PAYMENT_RECEIVED: citizen_answers.payment_received,
        QuestionKind.REDEMPTION_CODE: redemption_answers.code_answered,
        QuestionKind.REDEMPTION_RECEIPT: redemption_answers.receipt_answered,
    }


def test_an_app_not_built_by_the_factory_has_no_hooks():
    bare = Flask("bare")
    assert outbox.registrations(bare) == {} and events.listeners(bare) == () and questions.handlers(bare) == {}
