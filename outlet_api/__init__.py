"""The JSON API outlet apps call: start a redemption, confirm it with the beneficiary's code.

Thin handlers over registry.redemptions; an outlet authenticates with the bearer token
`flask --app wsgi outlets token CODE` printed for it. With no token issued the API is closed.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from outlet_api.views import bp

    app.register_blueprint(bp)
