"""`flask --app wsgi scheduler`: puts the periodic jobs on the queue (RQ's cron scheduler).

Every periodic job is a safety net or a clock: the sweeps re-queue work whose job was lost
(Redis down at the wrong moment), escalation and auto-closing are the grievance clocks.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

# (job, seconds between runs)
PERIODIC_JOBS = (
    ("grievance.outbox.sweep_outbox", 60),
    ("outbound_sms.sending.sweep_messages", 60),
    ("notices.alerts.sweep_alerts", 60),
    # A redemption code lasts ten minutes; its expiry is also checked whenever it is used.
    ("registry.redemptions.expire_codes_job", 60),
    ("notices.confirmations.sweep_confirmations", 60),
    ("grievance.jobs.escalate_breached", 600),
    ("grievance.jobs.close_unconfirmed", 3600),
    # A vulnerability score counts elderly members; ages move on without any import.
    ("registry.jobs.rescore_new_elders_job", 86400),
    # The dashboards' figures: page views read them, never the registry (staff/aggregates.py).
    ("staff.aggregates.refresh_job", 300),
    # The Signals page's items: page views read them, never run a signal (staff/signal_store.py).
    ("staff.signal_store.refresh_job", 600),
    # A finished month's open data is frozen once, not on the first public download.
    ("staff.opendata.jobs.publish_finished_months_job", 3600),
    # From 1 December: next year's Eid dates still estimated means January's deadlines are guesses.
    ("grievance.calendar_watch.warn_unconfirmed_lunar_year", 86400),
    # Hourly, so the first run after 08:00 Dhaka sends the day's digests; each goes once a day.
    ("staff.digest.send_daily_digests", 3600),
)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Enqueue the periodic jobs: sweeps each minute, SLA escalation every 10 minutes, closing
    unanswered resolutions every hour, rescoring households with new elderly members and
    checking that next year's lunar holidays are confirmed daily."""
    from rq.cron import CronScheduler
    from rq.utils import import_attribute

    from foundation.jobs import jobs_run_inline, redis_connection
    from foundation.redis_connect import ride_out_failover

    if jobs_run_inline():
        raise click.ClickException("REDIS_URL is not set: there is no queue to schedule onto")
    connection = redis_connection()
    ride_out_failover(connection)  # RQ's cron loop stops on a lost connection; wait for Redis instead
    cron = CronScheduler(connection=connection)
    for name, interval in PERIODIC_JOBS:
        cron.register(import_attribute(name), queue_name="default", interval=interval)
    cron.start()
