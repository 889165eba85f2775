"""scripts/metrics-dir: the shared metrics directory made, and emptied of dead processes' files only."""

from __future__ import annotations

import os
import subprocess

from foundation.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "metrics-dir"


def test_it_makes_the_directory_and_removes_only_the_files_of_processes_gone(tmp_path):
    directory = tmp_path / "metrics"
    assert subprocess.run([str(SCRIPT), str(directory)], capture_output=True).returncode == 0
    assert directory.is_dir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = os.getpid()
    names = [f"counter_{alive}.db", f"gauge_livesum_{alive}.db", f"counter_{gone.pid}.db", f"histogram_{gone.pid}.db"]
    for name in [*names, "notes.txt"]:
        (directory / name).write_bytes(b"")
    done = subprocess.run([str(SCRIPT)], env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)})
    assert done.returncode == 0
    assert sorted(path.name for path in directory.iterdir()) == sorted([*names[:2], "notes.txt"])


def test_it_refuses_without_a_directory():
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "PROMETHEUS_MULTIPROC_DIR is unset" in done.stderr
