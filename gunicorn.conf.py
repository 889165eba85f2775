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


def on_starting(server):
    """Refuse several workers on the embedded Redis stand-in: each worker would keep its own
    USSD sessions (hop 2 landing on another worker loses the caller), sign-in throttles,
    look-up limits and replay marks, so each limit would count once per worker."""
    import os
    import sys

    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL"):
        sys.exit("sahayata: not starting: REDIS_URL is unset, so run --workers 1 (or set REDIS_URL)")
