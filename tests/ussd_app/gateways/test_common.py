"""What every gateway shares: the small-form reader."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from ussd_app.gateways.common import form_fields

# What a gateway's form is made of, and what breaks a naive reader: separators, encodings,
# Bangla, broken escapes.
PIECES = st.sampled_from(["&", "=", "+", "%", "%2", "%2B", "%E0%A6%B8", "%ZZ", "*", "a", "text", "১", " ", "&&"])


def first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


@given(st.lists(PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_form_fields_reads_any_body_as_parse_qsl_does(body):
    assert form_fields(body) == first_values(parse_qsl(body, keep_blank_values=True))


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=5))
def test_form_fields_reads_back_what_was_encoded(fields):
    body = "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in fields.items())
    assert form_fields(body) == fields


def test_a_body_over_the_configured_limit_is_refused_on_the_fast_path_too(app, client, caller):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 200
    try:
        body = "sessionId=s-limit&phoneNumber=%2B8801712000001&text=" + "1" * 300
        response = client.post("/ussd/africastalking", data=body, content_type="application/x-www-form-urlencoded")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
