"""Kannel: outbound through its `sendsms` HTTP interface, delivery reports through `dlr-url`.

Inside Bangladesh two-way SMS runs over the operators' SMPP links, and Kannel is the usual
bridge to them. Bangla goes as UCS-2 (coding=2, text sent as UTF-8 with charset=UTF-8);
Kannel 1.4 answers "0: Accepted for delivery" without a message id, so the delivery report
URL carries our own reference and a signature over it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import requests

from outbound_sms.encoding import segments
from outbound_sms.providers import ProviderError, Sent

# Which reports to ask for: 1 delivered, 2 undelivered, 8 accepted by the SMSC, 16 rejected by it.
DLR_MASK = 1 | 2 | 8 | 16


def dlr_signature(secret: str, reference: str) -> str:
    """What the delivery report must carry to be believed: only we can make it."""
    return hmac.new(secret.encode(), f"kannel-dlr:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def dlr_signature_valid(secrets: Iterable[str], reference: str, signature: str) -> bool:
    """True when ``signature`` is ours under one of ``secrets`` (the current key first, then
    those of before a rotation, whose messages' reports may still arrive).

    Compared as bytes in constant time (compare_digest refuses a str that is not ASCII),
    and against every key, so the time taken says nothing about which one nearly matched."""
    given = signature.encode()
    matches = [hmac.compare_digest(given, dlr_signature(secret, reference).encode()) for secret in secrets if secret]
    return any(matches)


class KannelProvider:
    name = "kannel"

    def __init__(
        self,
        sendsms_url: str,
        username: str,
        password: str,
        *,
        sender: str,
        dlr_base_url: str,
        secret: str,
        smsc_id: str | None = None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.sendsms_url = sendsms_url
        self.credentials = {"username": username, "password": password}
        self.sender = sender
        self.dlr_base_url = dlr_base_url.rstrip("/")
        self.secret = secret
        self.smsc_id = smsc_id
        self.timeout = timeout
        self.http = session or requests.Session()

    def send(self, to: str, text: str, reference: str | None = None) -> Sent:
        reference = reference or ""
        params = {
            **self.credentials,
            "from": self.sender,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            # GSM-7 text goes as 7-bit; anything else (Bangla) as UCS-2.
            "coding": "0" if segments(text).encoding == "GSM-7" else "2",
        }
        if self.smsc_id:
            params["smsc"] = self.smsc_id
        if reference:
            params["dlr-mask"] = str(DLR_MASK)
            # Kannel fills in %d (the report type) when it calls this URL back.
            signature = dlr_signature(self.secret, reference)
            params["dlr-url"] = f"{self.dlr_base_url}/sms/kannel/dlr?ref={reference}&sig={signature}&type=%d"
        try:
            response = self.http.get(self.sendsms_url, params=params, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise ProviderError(f"Kannel unreachable: {type(exc).__name__}", retryable=True) from None
        if response.status_code not in (200, 202):
            status = response.status_code
            raise ProviderError(
                f"Kannel HTTP {status}: {response.text.strip()[:80]}", retryable=status == 429 or status >= 500
            )
        return Sent(reference)
