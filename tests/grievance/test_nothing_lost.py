"""Nothing lost: a Redis outage at filing, and a worker killed with SIGKILL mid-routing.

Both run against a private redis-server and real `flask worker` (RQ) processes, on the
suite's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select, text

from foundation.config import PROJECT_ROOT
from foundation.db import database
from grievance.intake import file_grievance
from grievance.models import GrievanceEvent, Status
from sahayata.app import create_app
from sahayata.scheduler import PERIODIC_JOBS
from tests.factories import make_citizen, make_filing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                Redis.from_url(self.url).ping()
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queued_app(app, database_url, private_redis):
    """The app as a real deployment runs it: jobs go to Redis, workers are separate processes.

    (Depends on the suite's ``app`` so the database is migrated before this one starts.)"""
    queued = create_app({"DATABASE_URL": database_url, "REDIS_URL": private_redis.url})
    with queued.app_context():
        yield queued
    database(queued).engine.dispose()


@pytest.fixture
def qsession(queued_app):
    """The queued app's session; the tables the test filled are emptied afterwards."""
    from foundation.db import db_session
    from tests.conftest import REGISTRY_TABLES

    session = db_session()
    yield session
    session.rollback()
    for model in REGISTRY_TABLES:
        session.execute(model.__table__.delete())
    session.commit()


def _worker(database_url: str, redis_url: str, burst: bool = True) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *(["--burst"] if burst else [])]
    return subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _descendants(pid: int) -> list[int]:
    """Child processes, found through /proc (RQ's work horse runs in a session of its own)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                children.append(int(entry))
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _kill_tree(pid: int) -> None:
    """SIGKILL the worker and the work horse doing the job, as an OOM killer or a crash would."""
    for victim in [*_descendants(pid), pid]:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(victim, signal.SIGKILL)


def _cli(database_url: str, redis_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _routed_events(session, grievance_id: int) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count())
        .select_from(GrievanceEvent)
        .where(GrievanceEvent.grievance_id == grievance_id, GrievanceEvent.to_status == Status.ROUTED)
    )


def _file(session):
    citizen = make_citizen(session, mobile="+8801712345678")
    session.commit()
    return file_grievance(session, make_filing(citizen_id=citizen.id)).grievance


def test_a_complaint_filed_while_redis_is_down_is_routed_after_it_returns(
    queued_app, qsession, private_redis, database_url
):
    session = qsession
    private_redis.stop()
    grievance = _file(session)  # accepted: the outbox holds the routing work
    assert grievance.status is Status.RECEIVED
    private_redis.start()
    # The routing job and the "received" SMS were both left to the sweeper.
    assert "2 job(s) enqueued" in _cli(database_url, private_redis.url, "grievance", "sweep")
    worker = _worker(database_url, private_redis.url)
    worker.wait(timeout=120)
    assert _routed_events(session, grievance.id) == 1
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and grievance.ministry_code == "MOSW"


def test_a_worker_killed_mid_routing_leaves_the_complaint_routed_exactly_once(
    queued_app, qsession, private_redis, database_url
):
    session = qsession
    grievance = _file(session)  # enqueued on the private Redis: its routing job (its SMS on the "sms" queue)
    redis = Redis.from_url(private_redis.url)
    assert Queue("default", connection=redis).count == 1
    blocker = database(queued_app).engine.connect()
    if blocker.dialect.name == "sqlite":
        blocker.exec_driver_sql("BEGIN IMMEDIATE")  # the worker's first write will wait
    else:
        blocker.begin()
        blocker.execute(
            text("SELECT id FROM outbox WHERE grievance_id = :g AND kind = 'route_grievance' FOR UPDATE"),
            {"g": grievance.id},
        )  # the worker will have routed but wait to mark its outbox entry
    worker = _worker(database_url, private_redis.url, burst=False)
    try:
        started = StartedJobRegistry("default", connection=redis)
        deadline = time.monotonic() + 60
        while not started.get_job_ids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.get_job_ids(), "the worker never started the routing job"
        time.sleep(1.0)  # inside the job's transaction, waiting on our lock
        _kill_tree(worker.pid)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            _kill_tree(worker.pid)
        blocker.rollback()
        blocker.close()
    assert _routed_events(session, grievance.id) == 0  # nothing half-written survived the kill
    assert "0 job(s) enqueued" not in _cli(database_url, private_redis.url, "grievance", "sweep")
    _worker(database_url, private_redis.url).wait(timeout=120)
    assert _routed_events(session, grievance.id) == 1
    # Sweeping again and running another worker changes nothing: routed exactly once.
    _cli(database_url, private_redis.url, "grievance", "sweep")
    _worker(database_url, private_redis.url).wait(timeout=120)
    assert _routed_events(session, grievance.id) == 1


def test_the_scheduler_enqueues_every_periodic_job(app, database_url, private_redis):
    """`flask --app wsgi scheduler` puts every periodic job on the queue as soon as it starts."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": private_redis.url}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        queue = Queue("default", connection=Redis.from_url(private_redis.url))
        deadline = time.monotonic() + 60
        while queue.count < len(PERIODIC_JOBS) and time.monotonic() < deadline:
            time.sleep(0.2)
        names = sorted(job.func_name for job in queue.get_jobs())
        assert names == [
            "grievance.calendar_watch.warn_unconfirmed_lunar_year",
            "grievance.jobs.close_unconfirmed",
            "grievance.jobs.escalate_breached",
            "grievance.outbox.sweep_outbox",
            "notices.alerts.sweep_alerts",
            "notices.confirmations.sweep_confirmations",
            "outbound_sms.sending.sweep_messages",
            "registry.jobs.rescore_new_elders_job",
            "registry.redemptions.expire_codes_job",
            "staff.aggregates.refresh_job",
            "staff.digest.send_daily_digests",
            "staff.opendata.jobs.publish_finished_months_job",
            "staff.signal_store.refresh_job",
        ]
    finally:
        _kill_tree(scheduler.pid)
        scheduler.wait(timeout=30)
