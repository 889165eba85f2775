"""Twilio's side, as the tests play it: an HTTP client standing in for api.twilio.com behind
the real library, and requests signed with the library's own validator."""

from __future__ import annotations

import json
import logging

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

TOKEN = "test-auth-token"
BASE = "https://sahayata.example.gov.bd"


class RecordingHttpClient(HttpClient):
    """Stands in for api.twilio.com: records each request, answers like Twilio would."""

    def __init__(self, status: int = 201) -> None:
        super().__init__(logger=logging.getLogger("twilio.http_client"), is_async=False)
        self.requests: list[dict] = []
        self.status = status

    def request(
        self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        self.requests.append({"method": method, "uri": uri, "data": data, "auth": auth})
        if self.status >= 400:
            return Response(
                self.status,
                json.dumps({"code": 20429 if self.status == 429 else 21211, "message": "error", "status": self.status}),
            )
        body = {"sid": f"SM{len(self.requests):032d}", "status": "queued", "to": data["To"], "body": data["Body"]}
        return Response(self.status, json.dumps(body))


def signed_post(client, path, form, token=TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})
