"""Who the client is behind reverse proxies.

Only the proxies we run may say who the client is (Werkzeug's ProxyFix, trusting exactly
SAHAYATA_PROXY_HOPS of them); anyone can send X-Forwarded-For. A deployment behind a proxy
that forgot the setting sees every client as the proxy's address, and then one address's
sign-in throttle or gateway allow list stands for everyone: that is worth a warning.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    hops = app.config["SAHAYATA_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]
        return
    warned = False

    @app.before_request
    def _forwarded_without_trusted_proxies() -> None:
        nonlocal warned
        if not warned and "HTTP_X_FORWARDED_FOR" in request.environ:
            warned = True
            log.warning(
                "requests carry X-Forwarded-For but SAHAYATA_PROXY_HOPS is 0: behind a proxy every client "
                "shares its address (sign-in throttles, gateway allow lists); set it to the number of proxies"
            )
