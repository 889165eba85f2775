"""Property-based: whatever a gateway (or anyone) sends, the answer is never a 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELD_TEXT = st.one_of(
    st.none(),
    st.text(max_size=50),
    st.text(alphabet="0123456789*#০১২৩৪৫৬৭৮৯ ", max_size=40),
    st.text(min_size=3000, max_size=6000),
    st.sampled_from(["", "+8801712000001", "01712000001", "tel:8801712000001", "1*98*0*00", "mo-init", "mo-cont"]),
)
JSON_VALUE = st.one_of(
    FIELD_TEXT, st.integers(), st.floats(allow_nan=True), st.booleans(), st.lists(st.integers(), max_size=3)
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(
    fields=st.dictionaries(
        st.sampled_from(["sessionId", "phoneNumber", "text", "serviceCode", "networkCode", "status"]), FIELD_TEXT
    )
)
def test_africastalking_never_fails(client, caller, fields):
    data = {k: v for k, v in fields.items() if v is not None}
    assert client.post("/ussd/africastalking", data=data).status_code < 500


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_africastalking_survives_non_utf8_bodies(client, caller, raw):
    response = client.post("/ussd/africastalking", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


@SETTINGS
@given(
    body=st.dictionaries(
        st.sampled_from(["Type", "Mobile", "SessionId", "ServiceCode", "Message", "Operator", "Sequence"]), JSON_VALUE
    )
)
def test_hubtel_never_fails(client, caller, body):
    assert client.post("/ussd/hubtel", json=body).status_code < 500


@SETTINGS
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["message", "ussdOperation", "sessionId", "sourceAddress", "applicationId", "encoding", "requestId"]
        ),
        JSON_VALUE,
    )
)
def test_bdapps_never_fails(client, caller, app, body):
    app.config["BDAPPS_USSD_SEND_URL"] = "http://127.0.0.1:9/nowhere"  # nothing listens: sending fails
    response = client.post("/ussd/bdapps", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500


@SETTINGS
@given(raw=st.binary(max_size=400), path=st.sampled_from(["/ussd/hubtel", "/ussd/bdapps"]))
def test_json_dialects_survive_garbage(client, caller, raw, path):
    assert client.post(path, data=raw, content_type="application/json").status_code < 500
