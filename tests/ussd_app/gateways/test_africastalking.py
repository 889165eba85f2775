"""The Africa's Talking dialect: form fields in, `CON`/`END` text out."""

import datetime as dt

import pytest

from foundation import screen_counts
from foundation.i18n import translate
from foundation.jobs import redis_connection

WRONG_CHOICE = translate("bn", "Wrong key.")


def post(client, content_type=None, **fields):
    data = {"sessionId": "at-1", "serviceCode": "*123#", "phoneNumber": "+8801712000001", "text": ""}
    data.update(fields)
    return client.post(
        "/ussd/africastalking", data={k: v for k, v in data.items() if v is not None}, content_type=content_type
    )


def test_reply_is_plain_text_con_or_end(client, caller):
    response = post(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"  # once, not twice
    assert response.get_data(as_text=True).startswith("CON ")
    for text in ("9", "9*9", "9*9*9"):
        response = post(client, text=text)
    assert response.get_data(as_text=True).startswith("END ")


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_hop_reads_the_same_fields_from_either_form_encoding(client, caller, content_type):
    assert post(client, content_type).get_data(as_text=True).startswith("CON সহায়তা")
    assert post(client, content_type, text="9").get_data(as_text=True).startswith(f"CON {WRONG_CHOICE}")


def test_repeated_field_takes_its_first_value_like_werkzeug(client, caller):
    post(client)
    body = "sessionId=at-1&phoneNumber=%2B8801712000001&text=&text=9"
    response = client.post("/ussd/africastalking", data=body, content_type="application/x-www-form-urlencoded")
    # text="" repeats the dial, so the same screen comes back; taking "9" would re-prompt.
    assert response.get_data(as_text=True).startswith("CON সহায়তা")


def test_phone_number_in_local_form_is_accepted(client, caller):
    assert post(client, phoneNumber="01712000001").get_data(as_text=True).startswith("CON সহায়তা")


@pytest.mark.parametrize(
    "fields",
    [
        {"phoneNumber": "12345"},
        {"phoneNumber": None},
        {"sessionId": ""},
        {"sessionId": "x" * 500},
        {"text": "1" * 5000},
        {"text": "1*" * 3000},
        {"text": "1*" * 30_000},  # beyond a hop's usual size: through Werkzeug's parser
    ],
)
def test_malformed_requests_get_a_4xx_never_a_500(client, caller, fields):
    response = post(client, **fields)
    assert 400 <= response.status_code < 500


def test_end_of_session_notification_counts_a_drop_off(client, caller, app):
    post(client)
    post(client, text="1")
    response = client.post(
        "/ussd/africastalking",
        data={
            "sessionId": "at-1",
            "phoneNumber": "+8801712000001",
            "status": "Incomplete",
            "durationInMillis": "9000",
            "hopsCount": "2",
            "networkCode": "47001",
            "serviceCode": "*123#",
        },
    )
    assert response.status_code == 200
    counts = screen_counts.day(redis_connection(app), dt.date.today())
    assert counts["eligibility"]["dropoffs"] == 1
    assert counts["main"]["views"] == 1


def test_shared_secret_guards_the_endpoint(app, client, caller):
    from ussd_app.engine import GatewayConfig

    gateways = app.extensions["sahayata.ussd_gateways"]
    original = gateways["africastalking"]
    gateways["africastalking"] = GatewayConfig("africastalking", original.budget, shared_secret="s3cret")
    try:
        assert post(client).status_code == 403
        assert client.post("/ussd/africastalking?key=wrong", data={"sessionId": "a", "text": ""}).status_code == 403
        ok = client.post(
            "/ussd/africastalking",
            headers={"X-Sahayata-Key": "s3cret"},
            data={"sessionId": "at-2", "phoneNumber": "+8801712000001", "text": ""},
        )
        assert ok.status_code == 200
    finally:
        gateways["africastalking"] = original


def test_address_allow_list(app, client, caller):
    from ussd_app.engine import GatewayConfig

    gateways = app.extensions["sahayata.ussd_gateways"]
    original = gateways["africastalking"]
    gateways["africastalking"] = GatewayConfig("africastalking", original.budget, allow_from=("10.9.9.9",))
    try:
        assert post(client).status_code == 403
        gateways["africastalking"] = GatewayConfig("africastalking", original.budget, allow_from=("127.0.0.1",))
        assert post(client).status_code == 200
    finally:
        gateways["africastalking"] = original
