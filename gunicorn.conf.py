"""gunicorn settings read whenever gunicorn starts in this directory (`gunicorn wsgi:app`).

The access log leaves out query strings: Kannel's inbound URL carries the sender's number
and the message (?sender=…&text=…), and logs must never hold a full phone number.

Logs: with SAHAYATA_LOG_FORMAT=json (the default once SECRET_KEY is set) gunicorn's error
and access logs are JSON lines like the app's (foundation/logs.py), the access line with
its timestamp, request id, method, path, status, bytes and seconds; otherwise gunicorn's
text lines, the access line with its time.

Metrics: the workers count into PROMETHEUS_MULTIPROC_DIR, which a scrape adds up
(https://prometheus.github.io/client_python/multiprocess/). A deployment that sets it for
every process of the box (web, workers, scheduler) empties it before they start; when it
is unset, gunicorn makes a private one here, before any worker exists, and removes it on
exit.
"""

import os as _os
import shutil as _shutil
import tempfile as _tempfile

# remote address, time, method, path without the query, status, bytes, seconds
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'

logger_class = "foundation.logs.GunicornLogger"

# Set in the master as this file is read: the workers it forks inherit it, and no module
# of the app (prometheus_client chooses its mode at import) is loaded before.
_OWN_METRICS_DIR = None
if not _os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _OWN_METRICS_DIR = _tempfile.mkdtemp(prefix="sahayata-metrics-")
    _os.environ["PROMETHEUS_MULTIPROC_DIR"] = _OWN_METRICS_DIR

# On SIGTERM (systemd's stop, honcho's Ctrl-C) workers stop accepting and get this long to
# finish the requests they hold before they are killed. A USSD hop takes milliseconds and
# its gateway gives up after a few seconds; the longest requests are staff CSV exports.
# deploy/systemd/sahayata-web.service waits longer than this (TimeoutStopSec) before SIGKILL.
# https://docs.gunicorn.org/en/stable/settings.html#graceful-timeout
graceful_timeout = 30

# Load the app in the master before the port opens. Without it gunicorn listens first and
# each worker then spends seconds importing the app, so a restarted node takes hops into its
# backlog that it answers after the USSD gateway has stopped waiting; with it the port
# refuses connections until the app can answer, and nginx passes those hops to another node.
# Nothing connects to PostgreSQL or Redis while the app loads (engines and clients connect
# on first use, in the worker), and what forks anyway is made safe in the child:
# foundation/db.py disposes the engines' pools (os.register_at_fork), redis-py's pools
# compare the process id before handing out a connection, and foundation/redis_link.py makes
# each forked child its own hop connections. A HUP then restarts workers on the code the
# master loaded: deploy new code with a restart, not a reload.
# https://docs.gunicorn.org/en/stable/settings.html#preload-app
preload_app = True


def on_starting(server):
    """Refuse several workers on the embedded Redis stand-in: each worker would keep its own
    USSD sessions (hop 2 landing on another worker loses the caller), sign-in throttles,
    look-up limits and replay marks, so each limit would count once per worker."""
    import os
    import sys

    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL"):
        sys.exit("sahayata: not starting: REDIS_URL is unset, so run --workers 1 (or set REDIS_URL)")


def child_exit(server, worker):
    """A worker is gone: its live gauges stop counting (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        _shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)
