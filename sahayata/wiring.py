"""The hooks between the layers: who hears the registry's events.

Domains announce; they never call upward. This is the one place that says which handler
answers which announcement, for one app (each app built by create_app is wired).
"""

from __future__ import annotations

from flask import Flask

from notices import alerts
from registry import events


def wire(app: Flask) -> None:
    events.subscribe(
        app,
        events.Listener(
            payments_changed=alerts.record_payment_alerts,
            etokens_credited=alerts.record_etoken_alerts,
            import_committed=alerts.queue_alerts,
        ),
    )
