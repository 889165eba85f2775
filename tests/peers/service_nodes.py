"""The service's own processes as a deployment runs them: gunicorn web nodes, RQ workers
(`flask --app wsgi worker`) and the scheduler, each in a process group of its own.

A process group per process lets a test kill a whole web node (gunicorn's master and its
workers together, as a machine that dies) by that group's id, and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from foundation.config import PROJECT_ROOT

# Only what a deployment would give the service; nothing of the test process's own
# environment (the suite runs itself as a development start).
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")


def deployment_env(settings: dict[str, str]) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    return {**env, **settings}


class ServiceProcess:
    """One process of the service, started from the project's directory with ``env``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = logdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.args],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: the master and every worker at once, no clean-up."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the group (gunicorn's and RQ's graceful stop), SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.process = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


class WebNode(ServiceProcess):
    """`gunicorn wsgi:app` on one loopback address.

    ``--preload`` loads the app in gunicorn's master before it opens its port: a node that
    (re)starts refuses connections until it can answer them, so nginx passes hops on to
    another node instead of queueing them on one that is still importing (several seconds,
    longer than a USSD gateway waits). The master opens no database or Redis connection
    while loading (connections are made on first use, in the worker).
    """

    def __init__(self, name: str, address: str, env: dict[str, str], logdir: Path) -> None:
        self.address = address
        args = ["gunicorn", "--preload", "--bind", address, "--workers", "1", "--threads", "8"]
        # gunicorn's control socket is one per machine by default; two nodes on one box
        # would fight over it.
        args += ["--no-control-socket", "--access-logfile", str(logdir / f"{name}.access.log"), "wsgi:app"]
        super().__init__(name, args, env, logdir)

    def kill(self) -> None:
        """SIGKILL to the node, returning once its port refuses connections: until its last
        process is gone the kernel still accepts connections on the port (then resets them)."""
        super().kill()
        host, _, port = self.address.rpartition(":")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, int(port)), timeout=0.5).close()
            except ConnectionRefusedError:
                return
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"web node {self.name} still accepts connections after SIGKILL")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"web node {self.name} exited:\n{self.log_tail()}")
            try:
                if requests.get(f"http://{self.address}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"web node {self.name} not ready in {timeout} s:\n{self.log_tail()}")


def worker(name: str, env: dict[str, str], logdir: Path) -> ServiceProcess:
    return ServiceProcess(name, ["flask", "--app", "wsgi", "worker"], env, logdir)


def scheduler(env: dict[str, str], logdir: Path) -> ServiceProcess:
    return ServiceProcess("scheduler", ["flask", "--app", "wsgi", "scheduler"], env, logdir)
