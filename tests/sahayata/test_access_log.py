"""gunicorn's access log (gunicorn.conf.py) never writes a phone number: Kannel's inbound URL
carries the sender in its query string, so the log leaves query strings out."""

import os
import subprocess
import sys
import time

import requests

from foundation.config import PROJECT_ROOT
from tests.helpers import free_port


def test_the_access_log_holds_no_phone_number(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "KANNEL_INBOUND_KEY": "k"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/sms/kannel/inbound?key=wrong&sender=%2B8801712345678&text=help"
        for _ in range(100):
            try:
                # A generous timeout: on a loaded machine the first request is slow; the log is judged.
                assert requests.get(url, timeout=60).status_code == 403
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        for _ in range(50):
            if log.exists() and log.read_text():
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert "/sms/kannel/inbound" in written and " 403 " in written
    assert "1712345678" not in written and "sender=" not in written
