"""Twilio through the real library: outbound with an injected HTTP client (Twilio's servers are
the only thing mocked), inbound and receipts signed with the library's own validator."""

import json
import logging

import pytest
from sqlalchemy import func, select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from grievance.jobs import route_grievance
from grievance.models import Grievance, Status
from grievance.status import change_status
from sms import sending
from sms.models import Message, MessageStatus
from sms.providers import ProviderError
from sms.providers.twilio import TwilioProvider
from tests.factories import make_citizen, make_filing

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


@pytest.fixture
def twilio(app):
    recorder = RecordingHttpClient()
    saved = {
        k: app.config.get(k)
        for k in (
            "SMS_PROVIDER",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_FROM",
            "TWILIO_PUBLIC_BASE_URL",
            "TWILIO_HTTP_CLIENT",
        )
    }
    app.config.update(
        SMS_PROVIDER="twilio",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM="+15005550006",
        TWILIO_PUBLIC_BASE_URL=BASE,
        TWILIO_HTTP_CLIENT=recorder,
    )
    yield recorder
    app.config.update(saved)


def signed_post(client, path, form, token=TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_outbound_goes_through_the_real_client(twilio):
    provider = TwilioProvider("AC" + "0" * 32, TOKEN, from_number="+15005550006", http_client=twilio)
    sent = provider.send("+8801712345678", "অভিযোগ গৃহীত")
    [request] = twilio.requests
    assert request["method"] == "POST" and request["uri"].endswith("/Messages.json")
    assert request["data"]["To"] == "+8801712345678" and request["data"]["Body"] == "অভিযোগ গৃহীত"
    assert request["data"]["From"] == "+15005550006" and sent.provider_message_id.startswith("SM")


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (503, True), (400, False)])
def test_errors_say_whether_to_retry(status, retryable):
    provider = TwilioProvider(
        "AC" + "0" * 32, TOKEN, from_number="+15005550006", http_client=RecordingHttpClient(status)
    )
    with pytest.raises(ProviderError) as error:
        provider.send("+8801712345678", "x")
    assert error.value.retryable is retryable


def test_a_complaint_notification_is_sent_through_twilio(app, session, twilio, no_dispatch):
    from sms.notifications import deliver_complaint_updates

    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    from grievance.intake import file_grievance

    grievance = file_grievance(session, make_filing(citizen_id=citizen.id)).grievance
    deliver_complaint_updates(grievance.id)
    message = session.scalar(select(Message))
    sending.send_message(message.id)
    session.expire_all()
    assert message.status is MessageStatus.SENT and message.provider == "twilio"
    assert twilio.requests[-1]["data"]["StatusCallback"] == f"{BASE}/sms/twilio/status"
    assert "গৃহীত" in twilio.requests[-1]["data"]["Body"]


def test_forged_or_unsigned_requests_are_refused_and_change_nothing(client, session, twilio):
    form = {"From": "+8801712345678", "Body": "complain nobody paid"}
    assert client.post("/sms/twilio/inbound", data=form).status_code == 403
    assert signed_post(client, "/sms/twilio/inbound", form, token="wrong-token").status_code == 403
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def reply(client, body, sender="+8801712345678"):
    response = signed_post(client, "/sms/twilio/inbound", {"From": sender, "Body": body})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    text = response.get_data(as_text=True)
    return text.split("<Message>")[1].split("</Message>")[0]


@pytest.mark.parametrize("language", ["bn", "en"])
def test_commands_in_both_languages(client, session, twilio, caller_with_money, language):
    from registry.models import Language

    caller_with_money.language = Language(language)
    session.commit()
    if language == "bn":
        assert reply(client, "ভাতা").startswith("বয়স্ক ভাতা: সর্বশেষ")
        assert reply(client, "টোকেন").startswith("খাদ্যবান্ধব: ৩০ কেজি চাল")
        assert reply(client, "কি?").startswith("লিখুন:")
    else:
        assert reply(client, "payment").startswith("Old Age Allowance: Last")
        assert reply(client, "BALANCE").startswith("Food Friendly: 30 kg rice")
        assert reply(client, "what?").startswith("Send: BALANCE")


def test_complain_then_status_by_sms(client, session, twilio):
    answer = reply(client, "complain the dealer refused my e-token", sender="+8801999000111")
    assert answer.startswith("Complaint received. Number ")
    number = answer.split("Number ")[1].split(".")[0]
    assert reply(client, f"status {number}", sender="+8801999000111").startswith(f"Complaint {number}: ")
    grievance = session.scalar(select(Grievance))
    assert grievance.channel.value == "sms" and grievance.text == "the dealer refused my e-token"


def test_stop_and_start(client, session, twilio):
    from sms.replies import opted_out

    assert "no more alerts" in reply(client, "STOP")
    assert opted_out(session, "+8801712345678")
    assert reply(client, "start") == "Alerts are on again."
    assert not opted_out(session, "+8801712345678")


@pytest.fixture
def resolved(session, no_dispatch):
    """A complaint from +8801712345678, routed and then marked resolved by an officer."""
    from grievance.intake import file_grievance

    grievance = file_grievance(session, make_filing(phone="+8801712345678")).grievance
    route_grievance(grievance.id)
    session.refresh(grievance)
    change_status(session, grievance, Status.RESOLVED, "officer", "paid")
    session.commit()
    return grievance


def test_no_reopens_a_resolved_complaint_on_appeal(client, session, twilio, resolved):
    assert "appeal" in reply(client, "2")
    session.refresh(resolved)
    assert (resolved.status, resolved.tier) == (Status.APPEALED, 3)


def test_yes_closes_a_resolved_complaint(client, session, twilio, resolved):
    assert "is closed" in reply(client, "1")
    session.refresh(resolved)
    assert resolved.status is Status.CLOSED


def test_delivery_receipts_only_move_forward(client, session, twilio):
    message = Message(
        phone="+8801712345678",
        text="x",
        locale="en",
        encoding="GSM-7",
        segments=1,
        status=MessageStatus.SENT,
        provider="twilio",
        provider_message_id="SM1",
    )
    session.add(message)
    session.commit()
    for status in ("delivered", "sent"):  # a late "sent" after "delivered"
        receipt = {"MessageSid": "SM1", "MessageStatus": status}
        assert signed_post(client, "/sms/twilio/status", receipt).status_code == 204
    session.expire_all()
    assert message.status is MessageStatus.DELIVERED
    assert client.post("/sms/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "failed"}).status_code == 403
