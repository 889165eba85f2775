"""USSD self-service: gateway adapters over one session engine."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

from ussd_app.budget import ScreenBudget
from ussd_app.engine import GatewayConfig

log = logging.getLogger(__name__)


def gateway_configs(env: Mapping[str, str], production: bool = False) -> dict[str, GatewayConfig]:
    """Per gateway: USSD_<NAME>_SECRET, USSD_<NAME>_ALLOW (comma-separated addresses),
    USSD_<NAME>_OPEN, USSD_<NAME>_GSM7_LIMIT, USSD_<NAME>_UCS2_LIMIT and USSD_<NAME>_ASCII_ONLY.

    In production a gateway with neither a secret nor an address list is closed (403)
    unless USSD_<NAME>_OPEN=1 says it is meant to be open: whoever reaches an open endpoint
    can claim any phone number and read that person's payments.
    """
    defaults = {"africastalking": False, "hubtel": False, "bdapps": True}  # bdapps: no Bengali script
    configs = {}
    for name, ascii_only in defaults.items():
        prefix = f"USSD_{name.upper()}_"
        budget = ScreenBudget(
            gsm7_limit=int(env.get(prefix + "GSM7_LIMIT", "160")),
            ucs2_limit=int(env.get(prefix + "UCS2_LIMIT", "80")),
            ascii_only=env.get(prefix + "ASCII_ONLY", "1" if ascii_only else "0") == "1",
        )
        allow = tuple(a.strip() for a in env.get(prefix + "ALLOW", "").split(",") if a.strip())
        secret = env.get(prefix + "SECRET") or None
        closed = production and not secret and not allow and env.get(prefix + "OPEN", "0") != "1"
        if closed:
            log.warning("USSD gateway %s is closed: set %sSECRET or %sALLOW (or %sOPEN=1)", name, *[prefix] * 3)
        configs[name] = GatewayConfig(name, budget, secret, allow, closed=closed)
    return configs


def init_app(app: Flask) -> None:
    from foundation.config import is_production
    from foundation.jobs import redis_connection, redis_links
    from foundation.metrics import hop_metrics
    from ussd_app.analytics import ScreenAnalytics
    from ussd_app.engine import Engine
    from ussd_app.gateways.africastalking import bp as africastalking
    from ussd_app.gateways.bdapps import bp as bdapps
    from ussd_app.gateways.hubtel import bp as hubtel
    from ussd_app.journeys import JOURNEYS
    from ussd_app.outlet_journeys import opening
    from ussd_app.state import SessionStore

    store = SessionStore(redis_connection(app), redis_links(app))
    app.extensions["sahayata.ussd"] = Engine(JOURNEYS, store, ScreenAnalytics(), opening, hop_metrics(app.config))

    env = app.extensions["sahayata.env"]
    app.extensions["sahayata.ussd_gateways"] = gateway_configs(env, is_production(app.config))
    from ussd_app.simulator import bp as simulator
    from ussd_app.simulator import ussd_cli

    for blueprint in (africastalking, hubtel, bdapps, simulator):
        app.register_blueprint(blueprint)
    app.cli.add_command(ussd_cli)
