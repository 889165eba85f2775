"""The composition root wires the domains' hooks: outbox handlers and registry listeners."""

from __future__ import annotations

from flask import Flask

from foundation.jobs import SMS_QUEUE
from grievance import outbox
from grievance.jobs import route_grievance
from notices import alerts, notifications
from registry import events


def test_the_app_has_a_handler_for_every_outbox_kind(app):
    handlers = {kind: (r.handler, r.queue, r.rides_on_waiting_job) for kind, r in outbox.registrations(app).items()}
    assert handlers == {
        "route_grievance": (route_grievance, "default", False),
        "notify_citizen": (notifications.deliver_complaint_updates, SMS_QUEUE, True),
        "ask_citizen": (notifications.deliver_questions, SMS_QUEUE, False),
    }


def test_the_app_subscribes_the_alerts_to_the_registry(app):
    [listener] = events.listeners(app)
    assert listener.payments_changed is alerts.record_payment_alerts
    assert listener.etokens_credited is alerts.record_etoken_alerts
    assert listener.import_committed is alerts.queue_alerts


def test_an_app_not_built_by_the_factory_has_no_hooks():
    bare = Flask("bare")
    assert outbox.registrations(bare) == {} and events.listeners(bare) == ()
