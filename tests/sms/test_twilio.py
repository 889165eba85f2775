"""Twilio through the real library: outbound with an injected HTTP client (Twilio's servers are
the only thing mocked), inbound and receipts signed with the library's own validator."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from grievance.intake import file_grievance
from grievance.models import Grievance
from outbound_sms import sending
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import opted_out
from outbound_sms.providers import ProviderError
from outbound_sms.providers.twilio import TwilioProvider
from tests.factories import make_citizen, make_filing
from tests.peers.twilio_peer import BASE, TOKEN, RecordingHttpClient, signed_post
from tests.sms_support import database_refusing_inserts, message_id


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
    from notices.notifications import deliver_complaint_updates

    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
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


INBOUND = "/sms/twilio/inbound"
PHONE = "+8801712345678"


def _sms(client, body, sid, sender=PHONE):
    return signed_post(client, INBOUND, {"From": sender, "Body": body, "MessageSid": sid})


def test_a_replayed_stop_or_start_changes_nothing(client, session, twilio):
    stop, start = message_id(), message_id()
    assert "no more alerts" in _sms(client, "STOP", stop).get_data(as_text=True)
    assert "on again" in _sms(client, "START", start).get_data(as_text=True)
    replayed = _sms(client, "STOP", stop)  # the STOP request, captured and sent again
    assert replayed.status_code == 200 and replayed.mimetype == "application/xml"
    assert "<Message>" not in replayed.get_data(as_text=True)  # a harmless, empty answer
    session.rollback()
    assert not opted_out(session, PHONE)
    _sms(client, "START", start)
    _sms(client, "STOP", message_id())  # a new STOP is a new message, and acts
    session.rollback()
    assert opted_out(session, PHONE)


def test_a_replayed_info_adds_one_timeline_entry(client, session, twilio, no_dispatch):
    grievance = file_grievance(session, make_filing(phone=PHONE)).grievance
    before = len(grievance.events)
    sid = message_id()
    for _attempt in range(3):
        assert _sms(client, f"INFO {grievance.tracking_number} I collect at Debidwar", sid).status_code == 200
    session.expire_all()
    assert len(grievance.events) == before + 1


def test_a_signed_request_without_a_message_sid_is_refused_and_changes_nothing(client, session, twilio):
    assert signed_post(client, INBOUND, {"From": PHONE, "Body": "STOP"}).status_code == 400
    for odd in ("SM١٢٣", "SM 1", "x" * 65):
        assert _sms(client, "STOP", odd).status_code == 400
    session.rollback()
    assert not opted_out(session, PHONE)


def test_a_failed_answer_is_acted_on_when_twilio_retries(client, session, twilio):
    sid = message_id()
    # The database fails the STOP (a 500 outside the test client); Twilio's retry acts.
    with database_refusing_inserts(session, "sms_opt_outs"), pytest.raises(DBAPIError):
        _sms(client, "STOP", sid)
    assert "no more alerts" in _sms(client, "STOP", sid).get_data(as_text=True)
    session.rollback()
    assert opted_out(session, PHONE)


def test_production_without_an_auth_token_refuses_even_a_signed_request(production_client, session):
    assert not production_client.application.config["TWILIO_AUTH_TOKEN"]
    form = {"From": PHONE, "Body": "STOP", "MessageSid": message_id()}
    for token in (TOKEN, ""):
        assert signed_post(production_client, INBOUND, form, token=token).status_code == 403
        assert (
            signed_post(production_client, "/sms/twilio/status", {"MessageSid": "SM1"}, token=token).status_code == 403
        )
    assert not opted_out(session, PHONE)


def test_with_redis_down_a_stop_is_still_honoured(database_url, session):
    from sahayata.app import create_app
    from tests.peers.twilio_peer import BASE, TOKEN

    down = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_PUBLIC_BASE_URL": BASE,
        }
    )
    with down.app_context():
        answer = _sms(down.test_client(), "STOP", message_id())
    assert answer.status_code == 200 and "no more alerts" in answer.get_data(as_text=True)
    session.rollback()
    assert opted_out(session, PHONE)
