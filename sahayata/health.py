"""GET /healthz: 200 when the database and Redis answer, 503 naming what is down."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from foundation.db import database, is_lost_connection
from foundation.jobs import jobs_run_inline, redis_connection

bp = Blueprint("health", __name__)


def _check_database() -> str:
    """Whether the database answers now: a pooled connection that died with a restart since
    its last use (it is not pinged first, foundation/db.py) is tried once more, fresh."""
    for attempt in (1, 2):
        try:
            with database().engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "down"; the type is what we report
            if attempt == 1 and is_lost_connection(exc):
                continue
            return f"down ({type(exc).__name__})"
        return "ok"
    raise AssertionError("unreachable")


def _check_redis() -> str:
    try:
        redis_connection().ping()
    except Exception as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


@bp.get("/healthz")
def healthz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {
        "status": "ok" if not down else "down: " + ", ".join(down),
        "checks": checks,
        "redis_mode": "embedded" if jobs_run_inline() else "server",
    }
    return jsonify(body), (503 if down else 200)
