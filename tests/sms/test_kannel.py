"""Kannel's endpoints and provider: what is refused, and how failures are classified.
(The full round trip through bearerbox, smsbox and fakesmsc is in test_two_way.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grievance.models import Grievance
from sms.models import Message, MessageStatus
from sms.providers import ProviderError
from sms.providers.kannel import KannelProvider, dlr_signature
from tests.helpers import free_port
from tests.sms.conftest import KANNEL_INBOUND_KEY

INBOUND = "/sms/kannel/inbound"


@pytest.fixture
def inbound_key(app):
    saved = app.config["KANNEL_INBOUND_KEY"]
    app.config["KANNEL_INBOUND_KEY"] = KANNEL_INBOUND_KEY
    yield KANNEL_INBOUND_KEY
    app.config["KANNEL_INBOUND_KEY"] = saved


def test_inbound_without_the_key_is_refused_and_files_nothing(client, session, inbound_key):
    query = {"sender": "+8801712345678", "text": "complain nobody paid", "charset": "UTF-8"}
    assert client.get(INBOUND, query_string=query).status_code == 403
    assert client.get(INBOUND, query_string={**query, "key": "guess"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_inbound_is_refused_when_no_key_is_configured(client, session):
    assert client.get(INBOUND, query_string={"key": "", "sender": "+8801712345678", "text": "help"}).status_code == 403


def test_a_bad_sender_or_charset_is_a_4xx_in_the_callers_language(client, session, inbound_key):
    response = client.get(INBOUND, query_string={"key": inbound_key, "sender": "12345", "text": "help"})
    assert response.status_code == 400 and response.json["error"]
    odd = f"{INBOUND}?key={inbound_key}&sender=%2B8801712345678&text=%D8&charset=UTF-16BE"
    assert client.get(odd, headers={"Accept-Language": "bn"}).status_code == 400
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_raw_ucs2_text_is_decoded_when_kannel_does_not_recode(app, client, session, inbound_key):
    text = "অভিযোগ ভাতা পাইনি".encode("utf-16-be").hex()
    encoded = "".join(f"%{text[i : i + 2]}" for i in range(0, len(text), 2))
    query = f"key={inbound_key}&sender=%2B8801712345678&text={encoded}&charset=UTF-16BE&coding=2"
    assert client.get(f"{INBOUND}?{query}").status_code == 200
    assert session.scalar(select(Grievance.text)) == "ভাতা পাইনি"


def _message(session) -> Message:
    message = Message(phone="+8801712345678", text="x", locale="en", encoding="GSM-7", segments=1)
    message.status, message.provider = MessageStatus.SENT, "kannel"
    session.add(message)
    session.commit()
    return message


def _dlr(app, client, reference, kind, signature=None):
    signature = signature or dlr_signature(app.config["SECRET_KEY"], reference)
    return client.get("/sms/kannel/dlr", query_string={"ref": reference, "sig": signature, "type": kind})


def test_delivery_reports_move_forward_only_and_forged_ones_are_refused(app, client, session):
    message = _message(session)
    assert _dlr(app, client, message.reference, 1, signature="0" * 32).status_code == 403
    session.expire_all()
    assert message.status is MessageStatus.SENT
    assert _dlr(app, client, message.reference, 1).status_code == 204
    assert _dlr(app, client, message.reference, 8).status_code == 204  # a late "accepted by the SMSC"
    session.expire_all()
    assert message.status is MessageStatus.DELIVERED


def test_a_receipt_for_an_earlier_message_with_the_same_id_changes_nothing(app, client, session):
    message = _message(session)
    stale = f"{message.id}.1"  # the same id, created at another moment
    assert _dlr(app, client, stale, 2).status_code == 204
    session.expire_all()
    assert message.status is MessageStatus.SENT


def test_kannel_down_is_retryable_and_bad_credentials_are_not(kannel):
    down = KannelProvider(
        f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms", "u", "p", sender="16000", dlr_base_url="", secret="s"
    )
    with pytest.raises(ProviderError) as error:
        down.send("+8801712345678", "hello")
    assert error.value.retryable
    wrong = KannelProvider(kannel.sendsms_url, kannel.username, "wrong", sender="16000", dlr_base_url="", secret="s")
    with pytest.raises(ProviderError) as error:
        wrong.send("+8801712345678", "hello")
    assert not error.value.retryable and "403" in str(error.value)
