"""The composition root wires the domains' hooks: registry listeners."""

from __future__ import annotations

from flask import Flask

from notices import alerts
from registry import events


def test_the_app_subscribes_the_alerts_to_the_registry(app):
    [listener] = events.listeners(app)
    assert listener.payments_changed is alerts.record_payment_alerts
    assert listener.etokens_credited is alerts.record_etoken_alerts
    assert listener.import_committed is alerts.queue_alerts


def test_an_app_not_built_by_the_factory_has_no_hooks():
    assert events.listeners(Flask("bare")) == ()
