"""RQ queues: real Redis and worker processes when REDIS_URL is set, inline otherwise.

Embedded mode uses fakeredis (an in-process Redis stand-in) and runs every job at the
moment it is enqueued, so a fresh machine needs no Redis server and no worker.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import fakeredis
from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.job import Job

from foundation.config import FAST_PATH, SENTINELS, is_production
from foundation.redis_connect import connect
from foundation.redis_link import Links, hop_links

# "sms" is separate so that a slow or rate-limited SMS provider never holds up routing,
# escalation or USSD work; `flask worker` serves both unless told otherwise.
QUEUE_NAMES = ("default", "sms")
SMS_QUEUE = "sms"
# RQ keeps a failed job, arguments and all, for a year by default. A job whose arguments
# carry personal data (a phone number, a screen's text) is kept for a day at most.
PERSONAL_DATA_TTL = 24 * 3600

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    if app.config.get("REDIS_URL") or app.config.get(SENTINELS):
        # REDIS_URL's server, or the master REDIS_SENTINELS name (which needs REDIS_URL too).
        connection = connect(app.config)
        inline = False
    else:
        connection = fakeredis.FakeRedis()
        inline = True
        if is_production(app.config):
            log.warning(
                "REDIS_URL is unset: USSD sessions, sign-in throttles, look-up limits and SMS replay marks "
                "live in this process only and are forgotten when it restarts; set REDIS_URL"
            )
    app.extensions["sahayata.redis"] = connection
    app.extensions["sahayata.redis_links"] = hop_links(connection, app.config[FAST_PATH])
    app.extensions["sahayata.jobs_inline"] = inline


def redis_connection(app: Flask | None = None) -> Redis:
    return (app or current_app).extensions["sahayata.redis"]


def redis_links(app: Flask | None = None) -> Links:
    """The hot paths' way to the same server: each web thread's own connection on the fast
    path, the client's pool without it (foundation/redis_link.py)."""
    return (app or current_app).extensions["sahayata.redis_links"]


def jobs_run_inline(app: Flask | None = None) -> bool:
    return (app or current_app).extensions["sahayata.jobs_inline"]


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection(), is_async=not jobs_run_inline())


def enqueue(func: Callable[..., Any], *args: Any, queue_name: str = "default", **kwargs: Any) -> Job:
    # RQ's default description is the call with its arguments, and a worker logs it for every
    # job; the arguments may hold a phone number (a bdapps screen's destination) or a screen's
    # text. The function's name is enough to read a worker's log by.
    kwargs.setdefault("description", f"{func.__module__}.{func.__qualname__}")
    job = get_queue(queue_name).enqueue(func, *args, **kwargs)
    if jobs_run_inline() and job.is_failed:
        # RQ records an inline job's exception on the job and moves on; say so, or a
        # broken job would go unnoticed in embedded mode.
        result = job.latest_result()
        log.error("inline job %s failed: %s", job.func_name, result.exc_string if result else "unknown error")
    return job


def enqueue_together(
    calls: list[tuple[Callable[..., Any], tuple[Any, ...], str]],
    also: Callable[[Pipeline], None] | None = None,
) -> None:
    """Enqueue ``(func, args, queue_name)`` calls in one Redis round trip (a complaint's
    routing and its notice are queued as it is filed, on the hop that files it). ``also``
    adds commands to the same transaction, so they take effect before any of the jobs can
    start. Inline, ``also`` runs first, then each call as ``enqueue`` would run it."""
    if jobs_run_inline():
        if also is not None:
            with redis_connection().pipeline() as pipe:
                also(pipe)
                pipe.execute()
        for func, args, queue_name in calls:
            enqueue(func, *args, queue_name=queue_name)
        return
    with redis_connection().pipeline() as pipe:
        for func, args, queue_name in calls:
            description = f"{func.__module__}.{func.__qualname__}"
            get_queue(queue_name).enqueue(func, *args, description=description, pipeline=pipe)
        if also is not None:
            # After the enqueues: RQ opens the transaction (MULTI) on the first of them.
            also(pipe)
        pipe.execute()


class NoAppContext(RuntimeError):
    """A job was called outside the app (e.g. by a bare `rq worker`, which has none)."""


def with_app_context(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a job that needs the app, and fail at once, naming the way to run it, outside one.

    Jobs run inline (embedded mode) or in `flask --app wsgi worker`, which runs every job
    inside its app's context: that is the one way to run them. A bare `rq worker` would
    build no app, so none of the composition root's wiring (outbox handlers, registry
    listeners) would exist in it.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not has_app_context():
            raise NoAppContext(
                f"{func.__module__}.{func.__qualname__} needs the app: run jobs with `flask --app wsgi worker`"
            )
        return func(*args, **kwargs)

    return wrapper
