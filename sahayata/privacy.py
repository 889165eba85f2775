"""Keyed hashes for phone numbers we must recognise again but must not keep."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def phone_hash(phone: str) -> str:
    """HMAC-SHA256 of an E.164 number under SECRET_KEY: enough to spot a repeat, not enough
    to recover the number from a database dump."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()
