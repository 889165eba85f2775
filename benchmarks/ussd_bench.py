"""USSD under load: full sessions through gunicorn on real PostgreSQL and Redis.

    .venv/bin/python benchmarks/ussd_bench.py [--sessions 10000] [--phones 64] [--rounds 3]

Creates a scratch PostgreSQL database (dropped at the end) with a demo registry, starts
gunicorn on 127.0.0.1 with the service and another with a bare Flask endpoint under the
same settings. It drives full sessions from concurrent simulated phones through the
Africa's Talking endpoint (dial, payments, back, e-tokens, main menu), then sends the bare
endpoint the same number of requests from the same number of phones. Prints hops/s and p50/p99 hop latency
for both, and the CPU each party (gunicorn, this load generator, PostgreSQL, Redis) spent
per hop, for each of --rounds alternating rounds (default 3), then the median share.
Targets: at least 50% of the bare-Flask rate, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks.cpu import CpuMeter  # noqa: E402
from benchmarks.scratch import ready_app, scratch_database  # noqa: E402

SESSION = ["", "2", "2*0", "2*0*3", "2*0*3*00"]  # dial, payments, back, e-tokens, main menu
WORKERS = os.environ.get("BENCH_WORKERS", "4")  # 2 x cores; 3 and 8 measured no better
GUNICORN = ["--workers", WORKERS, "--worker-class", "sync", "--backlog", "2048", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn {target} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def drive(
    port: int, phones: list[str], sessions: int, concurrency: int, full_sessions: bool
) -> tuple[float, list[float]]:
    """Run ``sessions`` sessions (5 hops each) from ``concurrency`` threads; returns (seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(sessions))

    def phone_thread(index: int) -> None:
        own: list[float] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            session_id = uuid.uuid4().hex
            phone = phones[(index + number) % len(phones)]
            for text in SESSION:
                body = urllib.parse.urlencode(
                    {"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": phone, "text": text}
                )
                started = time.perf_counter()
                connection.request(
                    "POST", "/ussd/africastalking", body, {"Content-Type": "application/x-www-form-urlencoded"}
                )
                response = connection.getresponse()
                reply = response.read()
                own.append(time.perf_counter() - started)
                if response.status != 200 or (full_sessions and not reply.startswith(b"CON")):
                    raise RuntimeError(f"hop {text!r} answered {response.status}: {reply[:80]!r}")
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=phone_thread, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def report(name: str, seconds: float, latencies: list[float]) -> tuple[float, float]:
    """Print and return (hops/s, p99 in ms)."""
    ordered = sorted(latencies)
    rate = len(ordered) / seconds
    p99 = ordered[int(len(ordered) * 0.99)] * 1e3
    print(
        f"{name:28s} {len(ordered):7,d} hops in {seconds:6.1f} s = {rate:7,.0f} hops/s   "
        f"p50 {statistics.median(ordered) * 1e3:6.1f} ms   p99 {p99:6.1f} ms"
    )
    return rate, p99


def measure(
    name: str, server: subprocess.Popen, port: int, phones: list[str], args: argparse.Namespace
) -> tuple[float, float]:
    """One round on one server; returns (hops/s, p99 in ms)."""
    full_sessions = name.startswith("Sahayata")
    with CpuMeter(server.pid) as cpu:
        seconds, latencies = drive(port, phones, args.sessions, args.phones, full_sessions)
    rate, p99 = report(name, seconds, latencies)
    print(cpu.report(len(latencies)))
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--phones", type=int, default=64)
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="service and bare Flask measured alternately this many times"
    )
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with scratch_database("ussd_bench") as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        phones = prepare(database_url, redis_url, args.citizens)
        print(
            f"registry: {args.citizens:,} demo citizens; {len(phones):,} phones with payments; "
            f"{args.phones} concurrent phones; gunicorn {' '.join(GUNICORN)}"
        )
        service_port, bare_port = free_port(), free_port()
        service = start_gunicorn("wsgi:app", service_port, env)
        bare = start_gunicorn("benchmarks.bare_app:app", bare_port, env)
        shares, p99s = [], []
        try:
            drive(service_port, phones, 200, args.phones, True)  # warm-up: imports, pools, caches
            drive(bare_port, phones, 200, args.phones, False)
            # This machine's speed drifts from minute to minute (bare Flask alone has ranged
            # from 1,900 to 3,300 hops/s): alternating rounds and taking the median share
            # keeps one slow minute from deciding the figure.
            for number in range(1, args.rounds + 1):
                print(f"round {number} of {args.rounds}")
                service_rate, p99 = measure("Sahayata USSD sessions", service, service_port, phones, args)
                bare_rate, _ = measure("bare Flask, same settings", bare, bare_port, phones, args)
                shares.append(service_rate / bare_rate)
                p99s.append(p99)
                print(f"    service rate = {100 * shares[-1]:.0f}% of bare Flask")
        finally:
            stop(service)
            stop(bare)
        print(
            f"median of {args.rounds} rounds: service rate = {100 * statistics.median(shares):.0f}% of bare Flask "
            f"(target >= 50%); p99 {statistics.median(p99s):.1f} ms (target < 50 ms)"
        )


def prepare(database_url: str, redis_url: str, citizens: int) -> list[str]:
    from redis import Redis

    from registry.demo import generate_demo_data
    from registry.models import Citizen, Enrolment
    from sahayata.db import db_session

    Redis.from_url(redis_url).flushdb()
    app = ready_app(database_url, None)
    with app.app_context():
        session = db_session()
        generate_demo_data(session, citizens, seed=3)
        return list(
            session.scalars(
                select(Citizen.mobile).join(Enrolment).where(Citizen.mobile.is_not(None)).distinct().limit(5000)
            )
        )


if __name__ == "__main__":
    main()
