"""openapi.yaml is a valid OpenAPI 3.1 document, served as /openapi.json, and it describes
exactly the app's routes outside the staff workspace, the simulator and static files."""

from __future__ import annotations

import re

import orjson
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from sahayata.openapi import load_contract

# Staff pages are HTML for people, the simulator is development-only, static files are files.
UNDESCRIBED_PREFIXES = ("/staff/", "/simulator", "/static/")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _openapi_path(rule: str) -> str:
    """Flask's ``/a/<int:id>/b`` as OpenAPI's ``/a/{id}/b``."""
    return re.sub(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>", r"{\1}", rule)


def _routed(app) -> set[tuple[str, str]]:
    return {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(UNDESCRIBED_PREFIXES)
        for method in rule.methods & METHODS
    }


def _described(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method.upper() in METHODS}


def test_the_document_is_valid_openapi_3_1():
    document = load_contract()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_would_refuse_a_broken_document():
    """The check above can fail: a response without its description is not OpenAPI."""
    document = load_contract()
    del document["paths"]["/healthz"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_every_route_outside_staff_and_simulator_is_described(app):
    missing = _routed(app) - _described(load_contract())
    assert not missing, f"routes missing from openapi.yaml: {sorted(missing)}"


def test_every_described_operation_is_routed(app):
    extra = _described(load_contract()) - _routed(app)
    assert not extra, f"openapi.yaml describes operations the app does not have: {sorted(extra)}"


def test_path_templates_match_flask_rules():
    assert _openapi_path("/api/outlets/redemptions/<int:redemption_id>/confirm") == (
        "/api/outlets/redemptions/{redemption_id}/confirm"
    )
    assert _openapi_path("/staff/cases/<number>") == "/staff/cases/{number}"


def test_openapi_json_serves_the_yaml_as_json(production_client):
    response = production_client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert orjson.loads(response.data) == orjson.loads(orjson.dumps(load_contract()))


def test_a_document_that_is_not_openapi_stops_the_start(tmp_path):
    broken = tmp_path / "openapi.yaml"
    broken.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not an OpenAPI document"):
        load_contract(broken)


def test_openapi_json_is_gzipped_for_clients_that_ask(production_client):
    response = production_client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
