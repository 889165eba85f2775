"""Test-only jobs that a real `flask --app wsgi worker` imports (the worker's directory is the
project root, so `tests.peers.slow_jobs` is importable there)."""

from __future__ import annotations

import time
from pathlib import Path


def append_after(folder: str, name: str, seconds: float) -> None:
    """Mark the start, wait, then append one line: the job's effect, counted by the test."""
    Path(folder, f"{name}.started").touch()
    time.sleep(seconds)
    with Path(folder, f"{name}.done").open("a", encoding="utf-8") as handle:
        handle.write("done\n")
