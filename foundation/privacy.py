"""Keyed hashes for phone numbers we must recognise again but must not keep.

The hashes have a key of their own, SAHAYATA_PHONE_HASH_KEY, so that rotating SECRET_KEY
(which signs staff sessions) forgets no STOP. Unset, the key is derived from SECRET_KEY
under a fixed label: a start needs nothing more, but rotating SECRET_KEY then changes
every hash, and the old ones are recognised only while the old key stays in
SECRET_KEY_FALLBACKS.

Writes use the current key; look-ups accept a hash under any key this service has held
(see ``phone_hash_keys``), so a rotation forgets nothing while the old key is listed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping

from flask import Flask, current_app

from foundation.config import is_production

# Changing the label changes every derived key: it is part of the stored data's format.
DERIVATION_LABEL = b"sahayata:phone-hash-key:v1"


def derived_phone_key(secret_key: str) -> bytes:
    """The phone key a SECRET_KEY stands for when SAHAYATA_PHONE_HASH_KEY is unset: a key of
    its own (HMAC under a fixed label), never SECRET_KEY itself."""
    return hmac.new(secret_key.encode(), DERIVATION_LABEL, hashlib.sha256).digest()


def phone_hash_keys(config: Mapping[str, object]) -> list[bytes]:
    """Every key a phone hash may be under, the current one (used for writes) first.

    After the current key: SAHAYATA_PHONE_HASH_KEY_PREVIOUS; the keys derived from
    SECRET_KEY and SECRET_KEY_FALLBACKS (what the service used before a phone key was set);
    and SECRET_KEY and its fallbacks themselves, under which hashes were written before
    phone hashes had a key of their own.
    """
    return list(
        _keys_of(
            str(config["SECRET_KEY"]),
            tuple(str(key) for key in config.get("SECRET_KEY_FALLBACKS", ())),
            str(config.get("SAHAYATA_PHONE_HASH_KEY") or ""),
            tuple(str(key) for key in config.get("SAHAYATA_PHONE_HASH_KEY_PREVIOUS", ())),
        )
    )


# Every USSD hop, SMS and redemption hashes a phone: the keys (two HMACs to derive) are
# worked out once per set of settings, not per hash.
@functools.lru_cache(maxsize=8)
def _keys_of(secret: str, fallbacks: tuple[str, ...], pinned: str, previous: tuple[str, ...]) -> tuple[bytes, ...]:
    secrets = [secret, *fallbacks]
    keys = [pinned.encode()] if pinned else []
    keys += [key.encode() for key in previous]
    keys += [derived_phone_key(each) for each in secrets if each]
    keys += [each.encode() for each in secrets if each]
    return tuple(dict.fromkeys(keys))  # in order, each once


def _keys() -> list[bytes]:
    return phone_hash_keys(current_app.config)


def _hash(key: bytes, phone: str) -> str:
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def phone_hash(phone: str) -> str:
    """HMAC-SHA256 of an E.164 number under the current phone key, for writing: enough to
    spot a repeat, not enough to recover the number from a database dump."""
    return _hash(_keys()[0], phone)


def phone_hashes(phone: str) -> list[str]:
    """The number's hash under every accepted key, the current one first, for look-ups."""
    return [_hash(key, phone) for key in _keys()]


def init_app(app: Flask) -> None:
    """Say once at start, in production, that the phone key rides on SECRET_KEY."""
    if is_production(app.config) and not app.config.get("SAHAYATA_PHONE_HASH_KEY"):
        app.logger.warning(
            "SAHAYATA_PHONE_HASH_KEY is not set: phone hashes (opt-outs, complaints) use a key derived "
            "from SECRET_KEY. Set it to a long random value before SECRET_KEY is ever rotated (SECURITY.md)."
        )
