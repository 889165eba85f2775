"""Twilio: outbound through the official client, with an HTTP timeout.

Twilio sends to Bangladesh but does not carry two-way SMS there; inbound arrives through
it only where it is supported (and through Kannel inside the country).
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from outbound_sms.providers import ProviderError, Sent


class TwilioProvider:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        http_client: HttpClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self.client = Client(account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout))
        self.sender = {"from_": from_number} if from_number else {"messaging_service_sid": messaging_service_sid}
        self.status_callback = status_callback

    def send(self, to: str, text: str, reference: str | None = None) -> Sent:
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=text, **self.sender, **extra)
        except TwilioRestException as exc:
            raise ProviderError(
                f"Twilio HTTP {exc.status}: {exc.code}", retryable=exc.status == 429 or exc.status >= 500
            ) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise ProviderError(f"Twilio unreachable: {type(exc).__name__}", retryable=True) from None
        return Sent(message.sid)
