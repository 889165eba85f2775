"""gzip for what people download: staff pages, open data, the home page and their static files.

Flask-Compress does the work; this module says where and what. A response is compressed
when the client sends ``Accept-Encoding: gzip``, its type is text a person's browser or
tool reads (HTML, CSS, JavaScript, JSON, CSV, SVG, Markdown), its status is 2xx and it is
at least COMPRESS_MIN_SIZE bytes. Every response it looks at says ``Vary: Accept-Encoding``,
so a shared cache never hands a gzipped copy to a client that did not ask for one.

The hook is registered on the blueprints people use (``COMPRESSED_BLUEPRINTS``) only, never
on those machines call on every USSD hop, SMS and outlet request (``MACHINE_BLUEPRINTS``):
their answers are a few hundred bytes of plain text, XML or JSON, below the size worth
compressing, and the library's hook (header parsing, ``Vary``) costs a few microseconds a
call, which the USSD hot path does not pay at all this way. A blueprint in neither list
fails tests/sahayata/test_compression.py, so a new one is a decision, not an accident.

Why gzip alone: every browser and HTTP client has it, and the size the staff pages are held
to (tests/staff/test_compression.py) is their gzip size. Brotli and zstd (installed with
Flask-Compress) could be added to COMPRESS_ALGORITHM for a few percent more.

Compressed HTML and secrets together are the BREACH attack; SECURITY.md (its "Compression" point)
says why the staff pages' CSRF token and personal data are not exposed by it.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

# The staff workspace, open data, the home page, the OpenAPI document (tens of kB of JSON)
# and the development simulator.
COMPRESSED_BLUEPRINTS = ("staff", "open_data", "home", "openapi", "simulator")
# USSD gateways, SMS webhooks, outlet apps, ministry imports, health probes and the metrics scrape:
# machine-to-machine.
MACHINE_BLUEPRINTS = (
    "ussd_africastalking",
    "ussd_hubtel",
    "ussd_bdapps",
    "sms",
    "outlet_api",
    "import_api",
    "health",
    "metrics",
)

MIMETYPES = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",  # what Python 3.11's mimetypes calls .js files
    "application/json",
    "text/csv",
    "image/svg+xml",
    "text/markdown",  # the open-data dictionaries and licence
)

SETTINGS = {
    "COMPRESS_REGISTER": False,  # our hook below decides which requests the library sees
    "COMPRESS_MIMETYPES": list(MIMETYPES),
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,  # bytes: smaller answers fit one packet either way
    # Static files are sent as streams (a file wrapper of known length): gzip them as they are
    # read, and keep their ETag and 304 answers working.
    "COMPRESS_STREAMS": True,
    "COMPRESS_ALGORITHM_STREAMING": ["gzip"],
    "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": ["staff.static", "simulator.static"],
}

compress = Compress()


def init_app(app: Flask) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    for name in COMPRESSED_BLUEPRINTS:
        compress_blueprint(app, name)


def compress_blueprint(app: Flask, name: str) -> None:
    """Compress the answers of blueprint ``name`` (keyed by name, so it holds for a blueprint
    registered after this)."""
    app.after_request_funcs.setdefault(name, []).append(_compress)


def _compress(response: Response) -> Response:
    if response.status_code == 206:
        # A byte range of a file: gzipping it would turn the range into something else.
        return response
    return compress.after_request(response)
