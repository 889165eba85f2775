"""Kannel's endpoints and provider: what is refused, and how failures are classified.
(The full round trip through bearerbox, smsbox and fakesmsc is in test_two_way.py.)"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from grievance.intake import file_grievance
from grievance.models import Grievance
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import opted_out
from outbound_sms.providers import ProviderError
from outbound_sms.providers.kannel import KannelProvider, dlr_signature
from sms.kannel_config import render
from tests.factories import make_filing
from tests.helpers import free_port
from tests.sms_support import KANNEL_INBOUND_KEY, database_refusing_inserts

INBOUND = "/sms/kannel/inbound"
PHONE = "+8801712345678"


def kannel_id() -> str:
    """What Kannel's %I gives: the message's UUID, never used before."""
    return str(uuid.uuid4())


@pytest.fixture
def inbound_key(app):
    saved = app.config["KANNEL_INBOUND_KEY"]
    app.config["KANNEL_INBOUND_KEY"] = KANNEL_INBOUND_KEY
    yield KANNEL_INBOUND_KEY
    app.config["KANNEL_INBOUND_KEY"] = saved


def test_inbound_without_the_key_is_refused_and_files_nothing(client, session, inbound_key):
    query = {"sender": "+8801712345678", "text": "complain nobody paid", "charset": "UTF-8", "id": kannel_id()}
    assert client.get(INBOUND, query_string=query).status_code == 403
    assert client.get(INBOUND, query_string={**query, "key": "guess"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_inbound_is_refused_when_no_key_is_configured(client, session):
    assert client.get(INBOUND, query_string={"key": "", "sender": "+8801712345678", "text": "help"}).status_code == 403


def test_a_bad_sender_or_charset_is_a_4xx_in_the_callers_language(client, session, inbound_key):
    query = {"key": inbound_key, "sender": "12345", "text": "help", "id": kannel_id()}
    response = client.get(INBOUND, query_string=query)
    assert response.status_code == 400 and response.json["error"]
    odd = f"{INBOUND}?key={quote(inbound_key)}&id={kannel_id()}&sender=%2B8801712345678&text=%D8&charset=UTF-16BE"
    assert client.get(odd, headers={"Accept-Language": "bn"}).status_code == 400
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_raw_ucs2_text_is_decoded_when_kannel_does_not_recode(app, client, session, inbound_key):
    text = "অভিযোগ ভাতা পাইনি".encode("utf-16-be").hex()
    encoded = "".join(f"%{text[i : i + 2]}" for i in range(0, len(text), 2))
    query = (
        f"key={quote(inbound_key)}&id={kannel_id()}&sender=%2B8801712345678&text={encoded}&charset=UTF-16BE&coding=2"
    )
    assert client.get(f"{INBOUND}?{query}").status_code == 200
    assert session.scalar(select(Grievance.text)) == "ভাতা পাইনি"


def _message(session) -> Message:
    message = Message(phone="+8801712345678", text="x", locale="en", encoding="GSM-7", segments=1)
    message.status, message.provider = MessageStatus.SENT, "kannel"
    session.add(message)
    session.commit()
    return message


def _dlr(app, client, reference, kind, signature=None):
    if signature is None:
        signature = dlr_signature(app.config["SECRET_KEY"], reference)
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


def _inbound(client, key, text, kannel_message_id, sender=PHONE):
    query = {"key": key, "sender": sender, "text": text, "charset": "UTF-8", "id": kannel_message_id}
    return client.get(INBOUND, query_string=query)


@pytest.mark.parametrize("key", ["é", "কী", "\x00", KANNEL_INBOUND_KEY + "x", KANNEL_INBOUND_KEY.encode().hex()])
def test_a_wrong_key_in_any_script_is_refused_not_a_500(client, session, inbound_key, key):
    assert _inbound(client, key, "STOP", kannel_id()).status_code == 403
    assert not opted_out(session, PHONE)


def test_the_configured_key_is_accepted_though_it_is_not_ascii(client, session, inbound_key):
    assert not inbound_key.isascii()
    assert _inbound(client, inbound_key, "STOP", kannel_id()).status_code == 200
    assert opted_out(session, PHONE)


def test_the_kannel_configuration_passes_its_message_id_and_the_key_intact():
    config = render(
        ADMIN_PORT=1,
        ADMIN_PASSWORD="a",
        SMSBOX_PORT=2,
        FAKESMSC_PORT=3,
        SENDSMS_PORT=4,
        SENDSMS_USERNAME="u",
        SENDSMS_PASSWORD="p",
        LOG_LEVEL=1,
        LOG_DIR="/tmp",
        APP_BASE_URL="http://app",
        INBOUND_KEY="é&%C",
    )
    [url] = [line for line in config.splitlines() if line.startswith("get-url")]
    # Kannel turns "%%" into "%": the app receives key=%C3%A9%26%25C, which is "é&%C".
    assert "key=%%C3%%A9%%26%%25C&" in url and "&id=%I&" in url


def test_inbound_without_kannel_s_message_id_is_refused(client, session, inbound_key):
    for odd in ("", "١٢٣", "a b", "x" * 65):
        assert _inbound(client, inbound_key, "STOP", odd).status_code == 400
    assert not opted_out(session, PHONE)


def test_a_replayed_stop_or_info_changes_nothing(client, session, inbound_key, no_dispatch):
    stop = kannel_id()
    assert _inbound(client, inbound_key, "STOP", stop).status_code == 200
    assert _inbound(client, inbound_key, "START", kannel_id()).status_code == 200
    assert _inbound(client, inbound_key, "STOP", stop).status_code == 200  # smsbox's retry, or a replay
    session.rollback()
    assert not opted_out(session, PHONE)
    grievance = file_grievance(session, make_filing(phone=PHONE)).grievance
    before, info = len(grievance.events), kannel_id()
    for _attempt in range(3):
        assert _inbound(client, inbound_key, f"INFO {grievance.tracking_number} at Debidwar", info).status_code == 200
    session.expire_all()
    assert len(grievance.events) == before + 1
    # Each acted-on message is answered by one reply: the replays queued none.
    assert session.scalar(select(func.count()).select_from(Message).where(Message.template == "reply")) == 3


def test_a_failed_answer_is_acted_on_when_kannel_retries(client, session, inbound_key):
    retried = kannel_id()
    # The database fails the STOP (a 500 outside the test client); smsbox's retry acts.
    with database_refusing_inserts(session, "sms_opt_outs"), pytest.raises(DBAPIError):
        _inbound(client, inbound_key, "STOP", retried)
    assert _inbound(client, inbound_key, "STOP", retried).status_code == 200
    session.rollback()
    assert opted_out(session, PHONE)


def test_production_without_an_inbound_key_refuses(production_client, session):
    assert not production_client.application.config["KANNEL_INBOUND_KEY"]
    for key in ("", "guess", "é"):
        assert _inbound(production_client, key, "STOP", kannel_id()).status_code == 403
    assert not opted_out(session, PHONE)


@pytest.mark.parametrize("signature", ["é", "০" * 32, "", "0" * 31, "0" * 33])
def test_a_forged_signature_in_any_script_is_refused_not_a_500(app, client, session, signature):
    message = _message(session)
    assert _dlr(app, client, message.reference, 1, signature=signature).status_code == 403
    session.expire_all()
    assert message.status is MessageStatus.SENT


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "abc",
        "1",
        "1.",
        ".1",
        "1x.2",
        "١.2",
        "1.٢",
        "².1",
        "１.1",
        "9" * 19 + ".1",
        "9" * 4000 + ".1",
        "1.2.3",
        " 1.2",
    ],
)
def test_a_malformed_reference_is_a_400_even_when_signed(app, client, session, reference):
    assert _dlr(app, client, reference, 1).status_code == 400


@pytest.mark.parametrize("message_id", [2**31, 10**18 - 1])
def test_a_signed_report_for_an_id_beyond_the_id_column_is_nothing_to_record(app, client, session, message_id):
    """Well formed and signed, but no message can have that id: 204, not PostgreSQL's integer overflow."""
    assert _dlr(app, client, f"{message_id}.1", 1).status_code == 204


@pytest.mark.parametrize("kind", ["١", "", "x", "1.0", "１"])
def test_a_malformed_report_type_is_a_400_and_changes_nothing(app, client, session, kind):
    message = _message(session)
    assert _dlr(app, client, message.reference, kind).status_code == 400
    session.expire_all()
    assert message.status is MessageStatus.SENT


def test_reports_signed_before_a_secret_key_rotation_are_still_believed(session, make_production_app):
    old_key, new_key = "the-old-key-" + "o" * 32, "the-new-key-" + "n" * 32
    rotated = make_production_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=old_key).test_client()
    message = _message(session)
    query = {"ref": message.reference, "type": 1}
    refused = rotated.get("/sms/kannel/dlr", query_string={**query, "sig": dlr_signature("another", message.reference)})
    assert refused.status_code == 403
    signed_before = dlr_signature(old_key, message.reference)
    assert rotated.get("/sms/kannel/dlr", query_string={**query, "sig": signed_before}).status_code == 204
    session.expire_all()
    assert message.status is MessageStatus.DELIVERED


def test_a_charset_kannel_never_reports_is_a_400(client, session, inbound_key):
    for charset in ("unicode_escape", "utf-7", "rot13", "base64", "x" * 1000):
        url = (
            f"{INBOUND}?key={quote(inbound_key)}&id={kannel_id()}&sender=%2B8801712345678"
            f"&text=COMPLAIN%20bad%20%5Cud800&charset={charset}"
        )
        assert client.get(url).status_code == 400, charset


@pytest.fixture
def redis_down(app):
    """Every Redis use of the app (replay marks, the sender's wake-up, jobs) finds nobody there."""
    from redis import Redis

    saved = app.extensions["sahayata.redis"]
    app.extensions["sahayata.redis"] = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    yield
    app.extensions["sahayata.redis"] = saved


def test_a_complaint_texted_while_redis_is_down_is_filed_once_and_its_reply_waits_for_the_sweeper(
    client, session, inbound_key, redis_down
):
    """The reply is committed before the sender is woken: a wake-up that fails must not turn
    into a 5xx, or smsbox's retry (with no replay mark to stop it) would file it again."""
    response = _inbound(client, inbound_key, "COMPLAIN nobody paid my allowance", kannel_id())
    assert response.status_code == 200
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Grievance)) == 1
    replies = session.scalars(select(Message).where(Message.template == "reply")).all()
    assert [reply.status for reply in replies] == [MessageStatus.CREATED]  # the sweeper's to send
