"""CPU seconds spent by each party of a load test, read from /proc (Linux).

A closed-loop benchmark on a 2-core machine is bound by CPU shared between the server, the
load generator, PostgreSQL and Redis; how many milliseconds of CPU each spends per request
shows where a rate comes from, which the rate alone does not.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_by_party(server_group: int) -> Counter[str]:
    seconds: Counter[str] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        pid, group = int(entry.name), int(fields[2])
        if group == server_group:
            seconds["web server"] += used
        elif pid == os.getpid():
            seconds["load generator"] += used
        elif "postgres" in command:
            seconds["PostgreSQL"] += used
        elif "redis-server" in command:
            seconds["Redis"] += used
    return seconds


class CpuMeter:
    """``with CpuMeter(server.pid) as meter: …`` then ``meter.report(requests)``."""

    def __init__(self, server_group: int) -> None:
        self.server_group = server_group
        self.used: Counter[str] = Counter()

    def __enter__(self) -> CpuMeter:
        self._start = _cpu_by_party(self.server_group)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.used = _cpu_by_party(self.server_group)
        self.used.subtract(self._start)

    def report(self, requests: int) -> str:
        parts = [
            f"{party} {self.used[party] / requests * 1e3:.2f}"
            for party in sorted(self.used, key=self.used.get, reverse=True)
        ]
        return "    CPU ms per hop: " + ", ".join(parts)
