"""A real Kannel (Debian's bearerbox and smsbox) on loopback, with fakesmsc as the SMSC.

fakesmsc plays the citizen's phone: it submits one message on start and prints every
message the SMSC hands it ("Got message N: <from to type data>").
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import requests

from sms.kannel_config import render
from tests.helpers import free_port

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")


def kannel_installed() -> bool:
    return bool(shutil.which("bearerbox") and shutil.which("smsbox") and Path(FAKESMSC).exists())


class KannelPeer:
    def __init__(self, workdir: Path, app_base_url: str, inbound_key: str) -> None:
        self.workdir = workdir
        self.ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "fakesmsc")}
        self.sendsms_url = f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"
        self.username, self.password = "sahayata", "kannel-test"
        self.config = workdir / "kannel.conf"
        self.config.write_text(
            render(
                ADMIN_PORT=self.ports["admin"],
                ADMIN_PASSWORD="admin-test",
                SMSBOX_PORT=self.ports["smsbox"],
                FAKESMSC_PORT=self.ports["fakesmsc"],
                SENDSMS_PORT=self.ports["sendsms"],
                SENDSMS_USERNAME=self.username,
                SENDSMS_PASSWORD=self.password,
                LOG_LEVEL=1,
                LOG_DIR=workdir,
                APP_BASE_URL=app_base_url,
                INBOUND_KEY=inbound_key,
            )
        )
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        for box in ("bearerbox", "smsbox"):
            log = (self.workdir / f"{box}.out").open("wb")
            self.processes.append(subprocess.Popen([box, str(self.config)], stdout=log, stderr=subprocess.STDOUT))
            time.sleep(0.3)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # sendsms answers once smsbox is connected to bearerbox
            try:
                requests.get(self.sendsms_url, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"Kannel did not start; see {self.workdir}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def phone(self, number: str, text: str, *, wait_for_reply: callable = lambda: None, timeout: float = 20) -> str:
        """Send ``text`` from ``number`` through fakesmsc and return the reply it receives,
        parts joined. ``wait_for_reply`` is called while waiting (to run queued jobs)."""
        if text.isascii():
            line = f"{number} 16000 text {text}"
        else:  # Bangla: UCS-2, as a phone sends it
            line = f"{number} 16000 ucs2 {quote(text.encode('utf-16-be'), safe='')}"
        log_path = self.workdir / f"fakesmsc-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["fakesmsc"]), "-i", "0.1", "-m", "1", line],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                wait_for_reply()
                reply = _complete_reply(log_path.read_bytes().decode("utf-8", "replace"))
                if reply is not None:
                    return reply
                time.sleep(0.1)
            raise AssertionError(f"no reply within {timeout} s; fakesmsc said:\n{log_path.read_text()[-2000:]}")
        finally:
            process.terminate()
            process.wait(timeout=10)


def _complete_reply(log: str) -> str | None:
    """The reply once all its parts have arrived (a long one comes as concatenated parts,
    printed as "udh <header> data <payload>")."""
    parts: list[str] = []
    expected = 1
    for line in log.splitlines():
        match = GOT.search(line.strip())
        if not match:
            continue
        _sender, _receiver, kind, data = match.groups()
        if kind == "udh":  # header 05 00 03 ref total seq: one part of several
            udh, _, data = data.partition(" ")
            expected = _unquote(udh)[4]
            kind, _, data = data.partition(" ")
        parts.append(data if kind == "text" else _unquote(data).decode("utf-16-be"))
    return "".join(parts) if parts and len(parts) >= expected else None


def _unquote(data: str) -> bytes:
    return unquote_to_bytes(data.replace("+", "%20"))  # fakesmsc writes a space as "+"
