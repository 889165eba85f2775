"""GET /metrics: Prometheus's scrape, for the addresses SAHAYATA_METRICS_ALLOW lists.

Everyone else gets 404, as if there were nothing here: the counters say how busy each
gateway and screen is, which is nobody's business but the operators'. The address is the
client's after ProxyFix (sahayata/proxies.py), so behind our own proxy it is the scraper's,
not the proxy's. The definitions and what is read at scrape time are in foundation/metrics.py;
this module only says which queues and backlogs there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, current_app, request
from sqlalchemy import Table, func, select

from foundation import metrics
from foundation.clock import as_utc
from foundation.db import database
from foundation.jobs import QUEUE_NAMES, redis_connection
from grievance.models import OutboxEntry
from notices.models import Alert
from outbound_sms.sending import OUTBOX_LIST

bp = Blueprint("metrics", __name__)


def _pending_rows(table: Table) -> Callable[[], tuple[int, dt.datetime | None]]:
    """Rows not done yet and the oldest one's time: one statement that the outboxes' index on
    (done_at, created_at) answers from the few pending entries."""
    statement = select(func.count(), func.min(table.c.created_at)).where(table.c.done_at.is_(None))

    def read() -> tuple[int, dt.datetime | None]:
        with database().engine.connect() as connection:
            count, oldest = connection.execute(statement).one()
        return count, as_utc(oldest) if oldest is not None else None

    return read


def _sms_handoff(app: Flask) -> Callable[[], tuple[int, dt.datetime | None]]:
    """Single messages waiting in Redis for the next drain job (outbound_sms.sending)."""
    return lambda: (int(redis_connection(app).llen(OUTBOX_LIST)), None)


def init_app(app: Flask) -> None:
    app.extensions["sahayata.scrape_time"] = metrics.ScrapeTime(
        metrics.QueueDepths(redis_connection(app), QUEUE_NAMES),
        metrics.Backlogs(
            [
                metrics.Backlog("grievance_outbox", _pending_rows(OutboxEntry.__table__)),
                metrics.Backlog("sms_alerts", _pending_rows(Alert.__table__)),
                metrics.Backlog("sms_handoff", _sms_handoff(app)),
            ]
        ),
    )
    app.register_blueprint(bp)


@bp.get("/metrics")
def scrape() -> Response:
    config = current_app.config
    if not config["SAHAYATA_METRICS"] or not metrics.may_read(request.remote_addr, config["SAHAYATA_METRICS_ALLOW"]):
        abort(404)
    body, content_type = metrics.exposition([current_app.extensions["sahayata.scrape_time"]])
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
