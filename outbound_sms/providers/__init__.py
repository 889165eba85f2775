"""SMS providers behind one small interface; which one sends is configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


class ProviderError(Exception):
    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable  # 429, 5xx and timeouts are worth another try


class Provider(Protocol):
    name: str

    def send(self, to: str, text: str, reference: str | None = None) -> Sent:
        """Send ``text`` to ``to``; ``reference`` (our message id) lets a provider whose
        receipts carry no id of its own (Kannel) tie the receipt back to the message."""
        ...
