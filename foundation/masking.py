"""Masking of identifiers for display and logs (a full NID or phone never leaves here)."""

from __future__ import annotations


def _mask_keep_last(value: str | None, keep: int) -> str | None:
    if not value:
        return value
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def mask_account_number(value: str | None) -> str | None:
    """01712345678 -> **5678: the last four digits, which a citizen recognises, behind two
    stars whatever the length (the length says nothing to the citizen, costs screen room
    on USSD and tells a stranger which kind of account it is)."""
    if not value:
        return value
    if len(value) <= 4:
        return "*" * len(value)
    return "**" + value[-4:]


def mask_nid(value: str | None) -> str | None:
    return _mask_keep_last(value, 3)


def mask_mobile(value: str | None) -> str | None:
    """+8801712345678 -> +88017*****678: the operator prefix and last digits stay readable."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 9) + value[-3:]
