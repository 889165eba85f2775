"""A production start with nothing configured: every USSD gateway closed, and what opens one."""

import json

import pytest

from ussd_app.gateways import common

HOPS = {
    "africastalking": lambda client, **kw: client.post(
        "/ussd/africastalking", data={"sessionId": "p-1", "phoneNumber": "+8801712000001", "text": ""}, **kw
    ),
    "hubtel": lambda client, **kw: client.post(
        "/ussd/hubtel",
        json={"Type": "Initiation", "Mobile": "+8801712000001", "SessionId": "p-2", "Message": "*123#", "Sequence": 1},
        **kw,
    ),
    "bdapps": lambda client, **kw: client.post(
        "/ussd/bdapps",
        json={"ussdOperation": "mo-init", "sourceAddress": "tel:8801712000001", "sessionId": "p-3", "message": "*123#"},
        **kw,
    ),
}


@pytest.mark.parametrize("gateway", sorted(HOPS))
def test_every_gateway_is_closed_with_nothing_configured(production_client, caller, gateway, caplog, monkeypatch):
    monkeypatch.setattr(common, "_closed_said", {})  # the log is said once a while per process; say it here
    response = HOPS[gateway](production_client)
    assert response.status_code == 403
    assert response.json["error"] == "অনুমতি নেই।"  # not "something went wrong"
    assert "Rahima" not in response.get_data(as_text=True)
    assert f"USSD_{gateway.upper()}_SECRET" in caplog.text


@pytest.mark.parametrize("gateway", sorted(HOPS))
def test_a_secret_opens_a_gateway_to_its_holder_only(make_production_app, caller, gateway):
    client = make_production_app(**{f"USSD_{gateway.upper()}_SECRET": "s3cret-ü"}).test_client()
    assert HOPS[gateway](client).status_code == 403
    assert HOPS[gateway](client, headers={"X-Sahayata-Key": "wrong"}).status_code == 403
    assert HOPS[gateway](client, headers={"X-Sahayata-Key": "s3cret-ü".encode().decode("latin-1")}).status_code == 200


def test_a_non_ascii_key_is_refused_not_a_500(make_production_app, caller):
    client = make_production_app(USSD_HUBTEL_SECRET="abc").test_client()
    assert HOPS["hubtel"](client, query_string={"key": "é١"}).status_code == 403


def test_an_address_list_opens_a_gateway_to_those_addresses(make_production_app, caller):
    client = make_production_app(USSD_AFRICASTALKING_ALLOW="10.1.1.1").test_client()
    assert HOPS["africastalking"](client).status_code == 403
    ok = HOPS["africastalking"](client, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert ok.status_code == 200


def test_a_forged_forwarded_for_is_not_believed_without_trusted_proxies(make_production_app, caller):
    client = make_production_app(USSD_AFRICASTALKING_ALLOW="10.1.1.1").test_client()
    assert HOPS["africastalking"](client, headers={"X-Forwarded-For": "10.1.1.1"}).status_code == 403


def test_one_trusted_proxy_hop_names_the_client(make_production_app, caller):
    client = make_production_app(USSD_AFRICASTALKING_ALLOW="10.1.1.1", SAHAYATA_PROXY_HOPS="1").test_client()
    assert HOPS["africastalking"](client, headers={"X-Forwarded-For": "10.1.1.1"}).status_code == 200
    # A client's own extra entry stands left of what our proxy appended: not believed.
    forged = HOPS["africastalking"](client, headers={"X-Forwarded-For": "10.1.1.1, 203.0.113.9"})
    assert forged.status_code == 403


def test_open_must_be_said_explicitly(make_production_app, caller):
    client = make_production_app(USSD_HUBTEL_OPEN="1").test_client()
    assert HOPS["hubtel"](client).status_code == 200
    assert HOPS["africastalking"](client).status_code == 403


def test_development_keeps_gateways_open(client, caller):
    assert HOPS["africastalking"](client).status_code == 200


def test_a_large_body_is_refused_before_it_is_read(make_production_app, caller):
    client = make_production_app(USSD_HUBTEL_OPEN="1", USSD_AFRICASTALKING_OPEN="1").test_client()
    big = json.dumps({"Type": "Initiation", "Message": "x" * (60 * 1024 * 1024)})
    response = client.post("/ussd/hubtel", data=big, content_type="application/json")
    assert response.status_code == 413
    form = client.post("/ussd/africastalking", data={"sessionId": "a", "text": "1" * 20_000})
    assert form.status_code == 413


def test_deeply_nested_json_is_a_400(make_production_app, caller):
    client = make_production_app(USSD_HUBTEL_OPEN="1", USSD_BDAPPS_OPEN="1").test_client()
    nested = "[" * 5000 + "]" * 5000
    for path in ("/ussd/hubtel", "/ussd/bdapps"):
        response = client.post(path, data=nested, content_type="application/json")
        assert response.status_code == 400, path
    deep_object = '{"Type": ' + "[" * 5000 + "]" * 5000 + "}"
    assert client.post("/ussd/hubtel", data=deep_object, content_type="application/json").status_code == 400


def test_a_lone_surrogate_in_a_field_is_a_400_not_a_traceback(make_production_app, caller, caplog):
    client = make_production_app(USSD_HUBTEL_OPEN="1", USSD_BDAPPS_OPEN="1").test_client()
    bodies = {
        "/ussd/hubtel": [
            '{"Type": "Release", "SessionId": "\\udfff"}',
            '{"Type": "Initiation", "Mobile": "+8801712000001", "SessionId": "\\ud800", "Sequence": 1}',
            '{"Type": "Response", "Mobile": "+8801712000001", "SessionId": "s", "Message": "a\\ud800b", "Sequence": 2}',
        ],
        "/ussd/bdapps": [
            '{"ussdOperation": "mo-init", "sourceAddress": "tel:8801712000001", "sessionId": "\\ud800"}',
            '{"ussdOperation": "mo-cont", "sourceAddress": "tel:8801712000001", "sessionId": "b", "message": "\\udfff"}',  # noqa: E501
        ],
    }
    for path, cases in bodies.items():
        for body in cases:
            assert client.post(path, data=body, content_type="application/json").status_code == 400, body
    assert "Traceback" not in caplog.text


def test_an_id_that_is_a_list_or_an_object_is_a_400(make_production_app, caller):
    client = make_production_app(USSD_HUBTEL_OPEN="1", USSD_BDAPPS_OPEN="1").test_client()
    hubtel = {"Type": "Initiation", "Mobile": "+8801712000001", "SessionId": {"a": 1}, "Sequence": 1}
    assert client.post("/ussd/hubtel", json=hubtel).status_code == 400
    assert (
        client.post("/ussd/hubtel", json={**hubtel, "SessionId": "s", "Mobile": ["+8801712000001"]}).status_code == 400
    )
    bdapps = {"ussdOperation": "mo-init", "sourceAddress": "tel:8801712000001", "sessionId": "b", "requestId": [1]}
    assert client.post("/ussd/bdapps", json=bdapps).status_code == 400


def test_a_forwarded_request_without_trusted_proxies_is_warned_about_once(make_production_app, caller, caplog):
    client = make_production_app(USSD_AFRICASTALKING_OPEN="1").test_client()
    for _ in range(3):
        HOPS["africastalking"](client, headers={"X-Forwarded-For": "10.1.1.1"})
    assert caplog.text.count("SAHAYATA_PROXY_HOPS is 0") == 1
