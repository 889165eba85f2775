"""Rendering deploy/kannel/kannel.conf.template: for operators and for the tests' Kannel."""

from __future__ import annotations

from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "kannel" / "kannel.conf.template"


def render(**values: object) -> str:
    """The configuration with every ${NAME} filled in; a missing value is an error, not a blank."""
    return Template(TEMPLATE.read_text()).substitute({k: str(v) for k, v in values.items()})
