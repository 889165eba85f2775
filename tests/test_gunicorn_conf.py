"""gunicorn.conf.py: settings and checks whenever gunicorn starts the service."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from foundation.config import PROJECT_ROOT
from tests.helpers import free_port


def test_several_workers_on_the_embedded_redis_are_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}", "--workers", "2", "wsgi:app"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "REDIS_URL is unset, so run --workers 1" in done.stderr


def _production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "SAHAYATA_ENV")}
    env.update({"SECRET_KEY": "s" * 40, "SAHAYATA_PHONE_HASH_KEY": "p" * 40})
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    env.update(extra)
    return env


def test_the_app_is_loaded_before_the_port_listens(tmp_path):
    """preload_app: the app's own start-up lines (a production start names its closed USSD
    gateways) come from the master before gunicorn says it listens, not from a worker
    after it (a restarted node must not take hops it cannot answer yet)."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1", "wsgi:app"]
    server = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=_production_env(tmp_path), stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    try:
        assert server.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "Booting worker" in line:
                break
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    listening = next(i for i, line in enumerate(lines) if "Listening at" in line)
    loaded = next(i for i, line in enumerate(lines) if "USSD gateway africastalking is closed" in line)
    assert loaded < listening, "".join(lines)


def test_loading_the_app_connects_to_neither_database_nor_redis(tmp_path):
    """What the master loads is forked into every worker: a connection opened while loading
    would be one socket shared by all of them. Two listening sockets stand in for
    PostgreSQL and Redis; after the app has loaded (as the master does: `import wsgi`),
    neither has been connected to."""
    with socket.create_server(("127.0.0.1", 0)) as database, socket.create_server(("127.0.0.1", 0)) as redis:
        env = _production_env(
            tmp_path,
            DATABASE_URL=f"postgresql+psycopg://sahayata@127.0.0.1:{database.getsockname()[1]}/sahayata",
            REDIS_URL=f"redis://127.0.0.1:{redis.getsockname()[1]}/0",
        )
        done = subprocess.run(
            [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "sahayata"
        for listener in (database, redis):
            listener.setblocking(False)
            with pytest.raises(BlockingIOError):
                listener.accept()


def test_gunicorn_reads_preload_from_its_configuration():
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "wsgi:app"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^preload_app\s+= True$", done.stdout, re.M), done.stdout
