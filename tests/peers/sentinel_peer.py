"""Redis with Sentinel on loopback: a primary, a replica of it, and three sentinels.

Debian's redis-server and redis-sentinel, each with its own port and working directory
(sentinels rewrite their configuration file as they learn the others and the replica).
The sentinels agree with a quorum of 2 that the primary is down once it has not answered
for a second, and then promote the replica.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis

QUORUM = 2
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


def sentinel_installed() -> bool:
    return bool(shutil.which("redis-server") and shutil.which("redis-sentinel"))


def free_port_in(ports: range, taken: set[int]) -> int:
    """A port of ``ports`` nothing listens on (the ranges this suite's peers may use)."""
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError(f"no free port in {ports}")


def _wait_until(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class SentinelCluster:
    def __init__(self, workdir: Path, redis_ports: range, sentinel_ports: range) -> None:
        self.workdir = workdir
        taken: set[int] = set()
        self.primary_port = free_port_in(redis_ports, taken)
        self.replica_port = free_port_in(redis_ports, taken)
        self.sentinel_ports = [free_port_in(sentinel_ports, taken) for _ in range(3)]
        # A name of its own: sentinels that monitor the same name share what they learn, and
        # another run's sentinels left behind must not take this cluster's servers for theirs.
        self.master_name = f"sahayata-{os.getpid()}-{self.primary_port}"
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def sentinels(self) -> str:
        """The REDIS_SENTINELS value for these sentinels."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _start(self, name: str, args: list[str]) -> None:
        folder = self.workdir / name
        folder.mkdir(exist_ok=True)
        log = (folder / "out.log").open("wb")
        self.processes[name] = subprocess.Popen(args, cwd=folder, stdout=log, stderr=subprocess.STDOUT)

    def _redis(self, name: str, port: int, *extra: str) -> None:
        args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._start(name, [*args, "--dir", str(self.workdir / name), *extra])

    def start(self) -> None:
        self._redis("primary", self.primary_port)
        _wait_until(lambda: Redis(port=self.primary_port).ping(), "the primary")
        self._redis("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.primary_port))
        _wait_until(
            lambda: Redis(port=self.replica_port).info("replication")["master_link_status"] == "up", "the replica"
        )
        for number, port in enumerate(self.sentinel_ports):
            name = f"sentinel{number}"
            (self.workdir / name).mkdir(exist_ok=True)
            config = self.workdir / name / "sentinel.conf"
            config.write_text(
                f"port {port}\n"
                "bind 127.0.0.1\n"
                f"dir {self.workdir / name}\n"
                f"sentinel monitor {self.master_name} 127.0.0.1 {self.primary_port} {QUORUM}\n"
                f"sentinel down-after-milliseconds {self.master_name} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {self.master_name} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {self.master_name} 1\n"
            )
            self._start(name, ["redis-sentinel", str(config)])
        # Sentinels find each other and the replica through the primary (hello messages
        # every 2 s); a failover needs each to know the others.
        for port in self.sentinel_ports:
            _wait_until(lambda port=port: self._sees_everyone(port), f"sentinel {port} to see the others")

    def _sees_everyone(self, port: int) -> bool:
        state = Redis(port=port).sentinel_master(self.master_name)
        return state["num-other-sentinels"] >= 2 and state["num-slaves"] >= 1

    def master_port(self) -> int:
        """The port of the server the sentinels call master now."""
        return int(Redis(port=self.sentinel_ports[0]).sentinel_get_master_addr_by_name(self.master_name)[1])

    def kill_primary(self) -> None:
        """SIGKILL the primary, as a crash or the OOM killer would: no goodbye to anyone."""
        self.processes["primary"].send_signal(signal.SIGKILL)
        self.processes["primary"].wait(timeout=10)

    def wait_for_failover(self, timeout: float = 30.0) -> None:
        try:
            _wait_until(lambda: self.master_port() == self.replica_port, "the replica's promotion", timeout)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; the sentinels said:\n{self.logs()}") from None

    def logs(self, lines: int = 15) -> str:
        """The last lines each sentinel logged (the failover's steps: +sdown, +odown, +elected-leader…)."""
        tails = []
        for number in range(len(self.sentinel_ports)):
            log = self.workdir / f"sentinel{number}" / "out.log"
            tails.append(f"sentinel{number}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
