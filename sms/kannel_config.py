"""Rendering deploy/kannel/kannel.conf.template: for operators and for the tests' Kannel.

The sms-service URL carries the inbound key and Kannel's message id (%I), by which the app
recognises a message it has already acted on (sms.gateways.replays).
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from urllib.parse import quote

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "kannel" / "kannel.conf.template"

# Values that land inside a URL's query: quoted, so a key with "&", "%" or a non-ASCII
# character reaches the app as the key and not as a broken query.
URL_VALUES = ("INBOUND_KEY",)


def _in_kannel_url(value: str) -> str:
    """URL-quoted, with each "%" doubled: Kannel reads "%C" in a URL pattern as the charset
    escape, and "%%" as one "%", so a quoted "é" (%C3%A9) must be written %%C3%%A9."""
    return quote(value, safe="").replace("%", "%%")


def render(**values: object) -> str:
    """The configuration with every ${NAME} filled in; a missing value is an error, not a blank."""
    filled = {name: _in_kannel_url(str(value)) if name in URL_VALUES else str(value) for name, value in values.items()}
    return Template(TEMPLATE.read_text()).substitute(filled)
