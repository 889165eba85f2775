"""gunicorn settings read whenever gunicorn starts in this directory (`gunicorn wsgi:app`).

The access log leaves out query strings: Kannel's inbound URL carries the sender's number
and the message (?sender=…&text=…), and logs must never hold a full phone number.
"""

# remote address, method, path without the query, status, bytes, seconds
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'

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
# compare the process id before handing out a connection, and ussd_app/redis_link.py makes
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
