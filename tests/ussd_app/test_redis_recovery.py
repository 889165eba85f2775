"""Redis down mid-service: a short "try later" screen, and service resumes by itself."""

import shutil
import socket
import subprocess
import time

import pytest

from sahayata.app import create_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def redis_binary():
    path = shutil.which("redis-server")
    assert path, "redis-server is needed for this test (Debian package redis-server)"
    return path


def test_service_recovers_when_redis_returns(redis_binary, database_url, caller):
    port = _free_port()
    server = _start_redis(port)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    client = app.test_client()

    def dial(session_id):
        return client.post(
            "/ussd/africastalking", data={"sessionId": session_id, "phoneNumber": caller.mobile, "text": ""}
        )

    try:
        assert dial("r1").get_data(as_text=True).startswith("CON সহায়তা")
        server.terminate()
        server.wait(timeout=10)
        down = dial("r2")
        assert (down.status_code, down.get_data(as_text=True)) == (200, "END সেবাটি এখন বন্ধ। পরে আবার চেষ্টা করুন।")
        server = _start_redis(port)
        assert dial("r3").get_data(as_text=True).startswith("CON সহায়তা")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_redis_restart_between_two_hops_goes_unnoticed(redis_binary, database_url, caller):
    # The web process's connection to the old server is dead; the next hop must not fail on it.
    port = _free_port()
    server = _start_redis(port)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    client = app.test_client()
    hop = {"sessionId": "restart1", "phoneNumber": caller.mobile, "text": ""}
    try:
        assert client.post("/ussd/africastalking", data=hop).get_data(as_text=True).startswith("CON সহায়তা")
        server.terminate()
        server.wait(timeout=10)
        server = _start_redis(port)
        hop["sessionId"] = "restart2"
        assert client.post("/ussd/africastalking", data=hop).get_data(as_text=True).startswith("CON সহায়তা")
    finally:
        server.terminate()
        server.wait(timeout=10)
