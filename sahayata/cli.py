"""Command-line interface: `flask --app wsgi db upgrade`, `worker`, `registry …`, `demo-data`, `signals …`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from foundation import cache
from foundation.db import transaction
from sahayata import migrate

db_cli = AppGroup("db", help="Database schema and reference data.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the schema, then load/refresh reference data (clusters, ministries, places)
    and recount open deadlines with the current holiday calendar."""
    from grievance.holiday_changes import recount
    from grievance.reference_data import sync_grievance_reference_data
    from registry.eligibility.engine import forget_cached_rulebook
    from registry.reference_data import sync_reference_data

    migrate.upgrade(current_app, revision)
    moved = []
    if revision == "head":
        with transaction() as session:
            sync_reference_data(session)
            sync_grievance_reference_data(session)
            # A deploy may bring a new gazette file or holidays package: open deadlines
            # follow it now, each move noted in the complaint's trail.
            moved = recount(session)
        forget_cached_rulebook()
        cache.clear()
    click.echo(f"database at {revision}, reference data loaded")
    if moved:
        for each in moved:
            click.echo(f"  complaint {each.tracking_number}: deadline {each.before} -> {each.after}")
        click.echo(f"{len(moved)} open complaint deadline(s) moved to the current holiday calendar")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION (e.g. base)."""
    migrate.downgrade(current_app, revision)
    click.echo(f"database at {revision}")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queue", "queues", multiple=True, help="Queue names (default: all).")
@click.option("--fork", is_flag=True, help="Run each job in a forked work horse (RQ's default Worker).")
def worker(burst: bool, queues: tuple[str, ...], fork: bool) -> None:
    """Run an RQ worker inside the app (needs REDIS_URL): the one way to run the jobs.

    Every job runs in this app's context (a forked work horse inherits it), with the hooks
    the app factory wired; a bare `rq worker` has no app and its jobs refuse to run."""
    from rq import SimpleWorker, Worker

    from foundation.jobs import QUEUE_NAMES, jobs_run_inline, redis_connection
    from foundation.redis_connect import ride_out_failover

    if jobs_run_inline():
        raise click.ClickException("REDIS_URL is not set: jobs run inline and no worker is needed")
    # RQ retries a lost connection only while waiting for a job; one lost mid-job or between
    # jobs would stop the worker. Its commands wait for Redis (or a new master) instead.
    connection = redis_connection()
    ride_out_failover(connection)
    # Jobs here are short database transactions. Forking a work horse per job costs more
    # than most jobs do, and a fork cannot reuse the pooled database connections; the jobs
    # are idempotent and the outbox sweeper re-enqueues work lost to a crash, so running
    # them in the worker process loses no safety that matters. --fork keeps RQ's default.
    worker_class = Worker if fork else SimpleWorker
    worker_class(list(queues or QUEUE_NAMES), connection=connection).work(burst=burst, with_scheduler=True)


def register_commands(app: Flask) -> None:
    from grievance.cli import grievance_cli
    from import_api.cli import api_cli
    from monitoring.cli import signals_cli
    from registry.cli import outlets_cli, registry_cli
    from sahayata.demo import demo_data_command
    from sahayata.scheduler import scheduler
    from sms.cli import sms_cli
    from staff.cli import staff_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(worker)
    app.cli.add_command(registry_cli)
    app.cli.add_command(outlets_cli)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(grievance_cli)
    app.cli.add_command(scheduler)
    app.cli.add_command(sms_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(signals_cli)
    app.cli.add_command(api_cli)
