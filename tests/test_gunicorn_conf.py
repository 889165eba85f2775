"""gunicorn.conf.py: settings and checks whenever gunicorn starts the service."""

import os
import subprocess
import sys

from foundation.config import PROJECT_ROOT
from tests.helpers import free_port


def test_several_workers_on_the_embedded_redis_are_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}", "--workers", "2", "wsgi:app"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "REDIS_URL is unset, so run --workers 1" in done.stderr
