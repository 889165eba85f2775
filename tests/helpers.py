"""Small helpers shared by tests that talk to real processes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from rq import Queue, SimpleWorker
from werkzeug.serving import make_server

from foundation.jobs import QUEUE_NAMES, jobs_run_inline, redis_connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drain(app: Flask) -> None:
    """Run queued jobs (with real Redis they wait for a worker; inline they already ran)."""
    if not jobs_run_inline(app):
        connection = redis_connection(app)
        with app.app_context():
            queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
            SimpleWorker(queues, connection=connection).work(burst=True)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real loopback port, for peers that call it over HTTP; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
