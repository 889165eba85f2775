"""Inbound SMS and delivery receipts, one module per provider, on one blueprint."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sms", __name__)

from sms.gateways import kannel, twilio  # noqa: E402,F401  (they register their routes on bp)
