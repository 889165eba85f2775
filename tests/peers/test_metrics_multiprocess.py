"""gunicorn as deployed (gunicorn.conf.py): a scrape adds up every worker's counts, a worker
that died included, and the access log is JSON lines with a timestamp and the request id."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from foundation.config import PROJECT_ROOT
from tests.foundation.test_metrics import samples
from tests.helpers import free_port

HOPS = ("sahayata_ussd_hops_total", (("gateway", "africastalking"), ("screen", "main")))
TIMED = ("sahayata_ussd_hop_seconds_count", (("gateway", "africastalking"),))


class Gunicorn:
    def __init__(self, tmp_path: Path, database_url: str, redis_url: str | None, workers: int) -> None:
        self.port = free_port()
        self.access_log = tmp_path / "access.log"
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL")}
        env.update({"DATABASE_URL": database_url, "SAHAYATA_LOG_FORMAT": "json", "TMPDIR": str(self.tmp)})
        if redis_url:
            env["REDIS_URL"] = redis_url
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        self.process = subprocess.Popen(
            [*command, "--access-logfile", str(self.access_log), "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until_serving()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/metrics", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # no worker yet, or one still loading the app
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def dial(self, number: int) -> requests.Response:
        form = {"sessionId": f"mp-{number}-{time.time_ns()}", "phoneNumber": "+8801999000333", "text": ""}
        answer = requests.post(self.url + "/ussd/africastalking", data=form, timeout=10)
        assert answer.status_code == 200 and answer.text.startswith("CON "), answer.text
        return answer

    def scrape(self) -> dict:
        return samples(requests.get(self.url + "/metrics", timeout=10).text)

    def metrics_dirs(self) -> list[Path]:
        return list(self.tmp.glob("sahayata-metrics-*"))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def gunicorn(app, database_url, redis_url, tmp_path):
    made: list[Gunicorn] = []
    yield lambda workers: made.append(Gunicorn(tmp_path, database_url, redis_url, workers)) or made[-1]
    for server in made:
        if server.process.poll() is None:
            server.stop()


def test_a_workers_counts_outlive_it_and_the_private_directory_goes_with_gunicorn(gunicorn):
    server = gunicorn(1)
    [directory] = server.metrics_dirs()  # made by gunicorn.conf.py: none was configured
    answers = [server.dial(n) for n in range(5)]
    [worker] = server.workers()
    os.kill(worker, signal.SIGKILL)  # gunicorn's child_exit hook runs, and a new worker starts
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.workers() in ([], [worker]):
        time.sleep(0.1)
    server.wait_until_serving()
    answers += [server.dial(n) for n in range(5, 8)]
    read = server.scrape()
    assert read[HOPS] == 8 and read[TIMED] == 8  # the dead worker's 5 hops are still counted
    assert len(list(directory.glob("counter_*.db"))) == 2
    server.stop()
    assert not directory.exists()

    lines = [json.loads(line) for line in server.access_log.read_text().splitlines()]
    hops = [line for line in lines if line["path"] == "/ussd/africastalking"]
    logged, sent = [line["request_id"] for line in hops], [answer.headers["X-Request-ID"] for answer in answers]
    # The killed worker may die before writing its last hop's line; every line is one of ours.
    assert set(logged) <= set(sent) and sent[5:] == logged[-3:]
    assert all(line["timestamp"].endswith("Z") and line["status"] == "200" for line in hops)
    assert all(line["method"] == "POST" and line["logger"] == "gunicorn.access" for line in hops)


def test_a_scrape_adds_up_every_worker(gunicorn, redis_url):
    if redis_url is None:
        pytest.skip("embedded mode: several workers need REDIS_URL (CI's second pass runs this)")
    server = gunicorn(2)
    [directory] = server.metrics_dirs()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(server.dial, range(64)))
    read = server.scrape()
    assert read[HOPS] == 64 and read[TIMED] == 64
    assert len(list(directory.glob("counter_*.db"))) == 2  # both workers counted
