"""GET /openapi.json: the HTTP contract (openapi.yaml at the repository's root) as JSON.

The YAML file is the one that people edit and review; it is read and converted once, when
the app is built, so a broken file stops the start rather than a client's request, and a
request costs no parsing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml
from flask import Blueprint, Flask, Response, current_app

from foundation.config import PROJECT_ROOT

CONTRACT = PROJECT_ROOT / "openapi.yaml"
EXTENSION = "sahayata.openapi"

bp = Blueprint("openapi", __name__)


def load_contract(path: Path = CONTRACT) -> dict[str, Any]:
    """The document as data. safe_load: the file is data, never Python objects."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict) or "openapi" not in document:
        raise ValueError(f"{path} is not an OpenAPI document")
    return document


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = orjson.dumps(load_contract())
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return Response(current_app.extensions[EXTENSION], mimetype="application/json")
