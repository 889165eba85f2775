"""The processes as a deployment runs them: the Procfile under honcho, the systemd units as
systemd-analyze reads them, and a worker stopped with SIGTERM in the middle of a job."""

from __future__ import annotations

import configparser
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Queue, Worker, cron_scheduler_registry
from rq.job import JobStatus
from rq.registry import FinishedJobRegistry

from foundation.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
UNITS = PROJECT_ROOT / "deploy" / "systemd"
# Where the units expect the checkout and its settings; a test renders them onto this one.
INSTALL_ROOT = "/opt/sahayata"
ENV_FILE = "/etc/sahayata/sahayata.env"
SERVICES = (
    "sahayata-web.service",
    "sahayata-worker@default.service",
    "sahayata-worker@sms.service",
    "sahayata-scheduler.service",
)


def _rendered_units(folder: Path) -> Path:
    """The units with this checkout as the install root, so every ExecStart names a real file."""
    (folder / "sahayata.env").write_text((UNITS / "sahayata.env.example").read_text())
    for unit in UNITS.glob("sahayata*[a-z]"):
        if unit.suffix in (".service", ".target"):
            text = unit.read_text().replace(ENV_FILE, str(folder / "sahayata.env"))
            (folder / unit.name).write_text(text.replace(INSTALL_ROOT, str(PROJECT_ROOT)))
    return folder


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    folder = _rendered_units(tmp_path)
    units = [f"./{name}" for name in (*SERVICES, "sahayata.target")]
    # verify fails on an ExecStart that is not executable and warns on an unknown or
    # misspelt directive; either is a failure here.
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""


def test_the_systemd_services_are_hardened(tmp_path):
    """systemd's own exposure score, offline: 10 is unprotected, our services must stay under 2.0."""
    folder = _rendered_units(tmp_path)
    for name in SERVICES:
        done = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--threshold=20", "--no-pager", f"./{name}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{name}: {done.stdout[-400:]}{done.stderr}"
        settings = _unit(name.replace("@default", "@").replace("@sms", "@"))["Service"]
        assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
        assert settings["PrivateTmp"] == "yes" and settings["EnvironmentFile"] == ENV_FILE


def test_stop_timeouts_leave_room_for_work_in_hand(monkeypatch, tmp_path):
    """systemd's SIGKILL comes after TimeoutStopSec: later than gunicorn's graceful timeout for
    requests in flight, and later than RQ's job timeout (180 s) for a job a worker holds.
    KillMode=mixed sends SIGTERM to the main process alone, so a forked work horse is not
    killed by a SIGTERM of its own."""
    # Read in this process, gunicorn.conf.py would give it a metrics directory for good (as it
    # gives gunicorn's), and every later test's scrape would read that instead of its counters.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    graceful = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    web = _unit("sahayata-web.service")["Service"]
    assert int(web["TimeoutStopSec"]) > graceful
    worker = _unit("sahayata-worker@.service")["Service"]
    assert int(worker["TimeoutStopSec"]) > Queue.DEFAULT_TIMEOUT
    for name in ("sahayata-web.service", "sahayata-worker@.service", "sahayata-scheduler.service"):
        service = _unit(name)["Service"]
        assert (service["KillMode"], service["KillSignal"]) == ("mixed", "SIGTERM"), name


def test_the_environment_file_names_only_documented_settings():
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    gateways = {f"USSD_{g}_{s}" for g in ("AFRICASTALKING", "HUBTEL", "BDAPPS") for s in ("SECRET", "ALLOW", "OPEN")}
    # Read by the unit (SAHAYATA_BIND) or by gunicorn itself (WEB_CONCURRENCY).
    for_the_units = {"SAHAYATA_BIND", "WEB_CONCURRENCY"}
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (UNITS / "sahayata.env.example").read_text(), re.MULTILINE))
    assert named, "the example names no setting"
    assert named - documented - gateways - for_the_units == set()
    assert for_the_units <= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))


def _env(database_url: str, redis_url: str | None) -> dict[str, str]:
    """The suite's database and Redis for a subprocess, with this venv's commands on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _wait_for(condition: Callable[[], object], seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {seconds} s" + (f":\n{log.read_text()[-3000:]}" if log else ""))


def _port_in_our_range() -> int:
    """A free loopback port from 18200-18299: honcho gives each further process type the base
    port plus 100, 200, …, so the base is taken away from the ephemeral ports other tests use."""
    for port in range(18200, 18300):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18200-18299")


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or its worker still loading the app
        return False


def _stop(process: subprocess.Popen, how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, how)


def test_the_procfile_under_honcho_serves_web_and_runs_workers_and_scheduler(app, database_url, redis_url, tmp_path):
    """Embedded (no REDIS_URL) only web can run: workers and the scheduler refuse without a
    queue, so that pass starts web alone; the PostgreSQL and Redis pass starts all four."""
    connection = Redis.from_url(redis_url) if redis_url else None
    if connection is not None:
        connection.flushdb()
    port = _port_in_our_range()
    log = tmp_path / "honcho.log"
    only = [] if connection is not None else ["web"]
    command = [str(BIN / "honcho"), "start", "-f", "Procfile", "-d", str(PROJECT_ROOT), "-p", str(port), *only]
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=_env(database_url, redis_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(lambda: _healthy(port), 90, "answer from web's /healthz", log)
        if connection is None:
            return
        _wait_for(lambda: _worker_queues(connection) == ["default", "sms"], 90, "worker per queue", log)
        _wait_for(lambda: cron_scheduler_registry.get_keys(connection), 60, "cron scheduler", log)
        # The scheduler puts its periodic jobs on the default queue as it starts; the
        # default worker running them shows the whole chain works.
        _wait_for(lambda: FinishedJobRegistry("default", connection=connection).count, 90, "finished job", log)
        _stop(honcho)
        honcho.wait(timeout=60)
        # Every process stopped on honcho's SIGTERM and said so to Redis (a worker or
        # scheduler killed outright would stay registered until its heartbeat ran out).
        assert _worker_queues(connection) == [], log.read_text()[-3000:]
        assert cron_scheduler_registry.get_keys(connection) == []
    finally:
        _stop(honcho)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _stop(honcho, signal.SIGKILL)
            honcho.wait(timeout=10)
        if connection is not None:
            connection.flushdb()


def _worker_queues(connection: Redis) -> list[str]:
    return sorted(name for worker in Worker.all(connection=connection) for name in worker.queue_names())


@pytest.mark.parametrize(
    ("fork", "signal_group"),
    [(False, True), (True, False)],
    # honcho signals each process's whole group; systemd's KillMode=mixed the main process.
    ids=["in-process-job-stopped-as-honcho-does", "forked-job-stopped-as-systemd-does"],
)
def test_a_worker_stopped_mid_job_finishes_it_and_leaves_the_rest_queued(
    app, real_redis, database_url, redis_url, tmp_path, fork, signal_group
):
    queue = Queue("default", connection=real_redis)
    slow = queue.enqueue("tests.peers.slow_jobs.append_after", str(tmp_path), "slow", 4.0)
    waiting = queue.enqueue("tests.peers.slow_jobs.append_after", str(tmp_path), "waiting", 0)
    command = [str(BIN / "flask"), "--app", "wsgi", "worker", "--queue", "default"]
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*command, *(["--fork"] if fork else [])],
            cwd=PROJECT_ROOT,
            env=_env(database_url, redis_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for((tmp_path / "slow.started").exists, 90, "slow job started", log)
        (os.killpg if signal_group else os.kill)(worker.pid, signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    finally:
        _stop(worker, signal.SIGKILL)
    assert (tmp_path / "slow.done").read_text() == "done\n"  # finished, once
    assert slow.get_status(refresh=True) == JobStatus.FINISHED
    # The warm shutdown took nothing more: the next job waits in Redis, untouched.
    assert not (tmp_path / "waiting.started").exists()
    assert queue.job_ids == [waiting.id]
    second = subprocess.run(
        [*command, "--burst"],
        cwd=PROJECT_ROOT,
        env=_env(database_url, redis_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert waiting.get_status(refresh=True) == JobStatus.FINISHED
    assert (tmp_path / "waiting.done").read_text() == "done\n"
    assert (tmp_path / "slow.done").read_text() == "done\n"  # not run a second time


def test_every_process_counts_its_metrics_into_the_same_directory():
    """Workers and the scheduler count SMS outcomes, breaches and imports; only web is
    scraped, so they must write where web's scrape adds up (foundation/metrics.py)."""
    directories = set()
    for name in ("sahayata-web.service", "sahayata-worker@.service", "sahayata-scheduler.service"):
        service = _unit(name)["Service"]
        directories.add(service["Environment"].split("PROMETHEUS_MULTIPROC_DIR=", 1)[1].split()[0])
        assert service["RuntimeDirectory"] == "sahayata/metrics" and service["RuntimeDirectoryPreserve"] == "yes"
    assert directories == {"/run/sahayata/metrics"}
    before_web = _unit("sahayata-web.service")["Service"]["ExecStartPre"]
    assert before_web.endswith("scripts/metrics-dir /run/sahayata/metrics")
    lines = [line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line and line[0] != "#"]
    assert len(lines) == 4
    for line in lines:
        assert ": export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/metrics} && " in line, line
