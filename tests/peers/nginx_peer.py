"""Debian's nginx on loopback, running deploy/nginx/sahayata.conf.template as a deployer would.

The site file is rendered into a directory of the test's own; a small main configuration
around it keeps everything nginx writes (pid, logs, request-body buffers) under that
directory, so nginx runs without root and without touching /etc/nginx or /var/log/nginx.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from foundation.config import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "sahayata.conf.template"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")

# What Debian's /etc/nginx/nginx.conf gives a conf.d file, made to live in one directory:
# nginx's compiled-in paths (/var/lib/nginx/body, /run/nginx.pid, ...) are root's.
MAIN_CONFIG = """\
daemon off;
worker_processes 1;
pid nginx.pid;
error_log logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    include {site};
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def render_site(listen: str, nodes: list[str], access_log: str | Path) -> str:
    """The template with its placeholders filled; a placeholder left unfilled is an error."""
    values = {
        "LISTEN": listen,
        "WEB_NODES": "\n    ".join(f"server {node} max_fails=1 fail_timeout=10s;" for node in nodes),
        "ACCESS_LOG": str(access_log),
    }

    def fill(match: re.Match[str]) -> str:
        return values[match.group(1)]  # KeyError: the template grew a placeholder this does not know

    return PLACEHOLDER.sub(fill, TEMPLATE.read_text())


@dataclass(frozen=True)
class Logged:
    """One line of the access log (the template's `sahayata` format)."""

    method: str
    uri: str
    status: int
    upstreams: tuple[str, ...]  # every node tried, in order: "A, B" when A refused
    upstream_statuses: tuple[str, ...]
    request_id: str


LOG_LINE = re.compile(
    r'^\S+ \[[^\]]+\] "(?P<method>\S+) (?P<uri>\S*)" (?P<status>\d{3}) \d+ \S+ '
    r"upstream=(?P<upstreams>.*?) (?P<statuses>[\d\-, :]+?) (?P<times>[\d.\-, :]+?) id=(?P<id>[0-9a-f]+)$"
)


def parse_access_log(path: Path) -> dict[str, Logged]:
    """Access log lines by request id."""
    found: dict[str, Logged] = {}
    for line in path.read_text().splitlines():
        match = LOG_LINE.match(line)
        if match is None:
            raise AssertionError(f"an access log line not in the template's format: {line!r}")
        found[match["id"]] = Logged(
            method=match["method"],
            uri=match["uri"],
            status=int(match["status"]),
            upstreams=tuple(part.strip() for part in match["upstreams"].split(",")),
            upstream_statuses=tuple(part.strip() for part in match["statuses"].split(",")),
            request_id=match["id"],
        )
    return found


class NginxPeer:
    def __init__(self, workdir: Path, listen: str, nodes: list[str]) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is missing: install Debian's nginx (scripts/ensure-test-peers)")
        self.binary = binary
        self.prefix = workdir
        self.listen = listen
        for sub in ("logs", "temp"):
            (workdir / sub).mkdir(parents=True, exist_ok=True)
        self.access_log = workdir / "logs" / "access.log"
        self.error_log = workdir / "logs" / "error.log"
        (workdir / "sahayata.conf").write_text(render_site(listen, nodes, self.access_log))
        (workdir / "nginx.conf").write_text(MAIN_CONFIG.format(site=workdir / "sahayata.conf"))
        self.process: subprocess.Popen | None = None

    def _command(self, *extra: str) -> list[str]:
        # -e: the error log from the first moment, before the configuration names one
        # (Debian's compiled-in /var/log/nginx/error.log is root's).
        return [self.binary, "-p", f"{self.prefix}/", "-c", "nginx.conf", "-e", str(self.error_log), *extra]

    def check(self) -> subprocess.CompletedProcess:
        """`nginx -t`: the configuration as nginx reads it."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        out = (self.prefix / "logs" / "nginx.out").open("wb")
        self.process = subprocess.Popen(self._command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        host, _, port = self.listen.rpartition(":")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text() if self.error_log.exists() else ''}")
            try:
                with socket.create_connection((host, int(port)), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on {self.listen}; see {self.prefix}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> dict[str, Logged]:
        return parse_access_log(self.access_log)
