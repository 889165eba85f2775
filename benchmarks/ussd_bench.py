"""USSD under load: a payday's mix of every journey through gunicorn on real PostgreSQL and Redis.

    .venv/bin/python benchmarks/ussd_bench.py [--sessions 6000] [--phones 64] [--rounds 3]

Creates a scratch PostgreSQL database (dropped at the end) with a demo registry, starts
gunicorn on 127.0.0.1 with the service and another with a bare Flask endpoint under the
same settings. Concurrent simulated phones run sessions through the Africa's Talking
endpoint, each a journey drawn by its weight in a payday's traffic (JOURNEYS below: most
callers ask about their payment; some check eligibility, e-tokens or a complaint, look
someone up, come back to a dropped session or press a wrong key). Then the bare endpoint gets
the same number of requests from the same number of phones. Each round prints the mix's
hops/s and p50/p99 hop latency beside bare Flask's, the CPU each party (gunicorn, this load
generator, PostgreSQL, Redis) spent per hop, and then every journey run alone (--journey-hops
each) as a share of that round's bare-Flask rate. Rounds alternate; the medians come last.
Every rate counts a run's steady part, until the first phone finds no session left (Run).
Each round then paces the phones (an exponential pause before each hop, like a person
reading the screen) so that the offered load is --paced-load of what the service took in the
round's mix, gives bare Flask the same, and prints
the mix's and bare Flask's p99 at that load: at saturation a hop's latency is mostly the
queue in front of it (64 phones on 2 cores), not the hop.
Targets: the mix at least 50% of the bare-Flask rate; no journey below 40%; p99 under 50 ms.

``--metrics both`` starts three more gunicorns, metrics on, off, and on again (a twin), and each
round drives the mix through all three (each round starting with another), printing the rates,
the web server's CPU per hop and the metrics' overhead beside what the two identical metered
servers differ by: the comparison's own noise, which a 3% target must stand above. It also times the metric
calls a hop makes (a counter and a histogram, in gunicorn's multiprocess mode) in a process of
their own, against the CPU a hop costs. Target: the metrics cost at most 3% of a hop.
``--metrics off`` runs the whole bench with them off.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks.cpu import CpuMeter  # noqa: E402
from benchmarks.scratch import ready_app, scratch_database  # noqa: E402
from foundation.i18n import translate  # noqa: E402

# A journey: its weight in a payday's traffic, and its sessions (a resumed journey has two),
# each the inputs of its hops; "{nid}", "{dob}" and "{tracking}" are filled per session.
# Main menu for a registered phone: 1 eligibility, 2 payments, 3 e-tokens, 4 complaint,
# 5 complaint status, 6 another person.
JOURNEYS: dict[str, tuple[int, list[list[str]]]] = {
    "payments": (34, [["", "2", "98", "0", "00"]]),
    "e-tokens": (10, [["", "3", "0"]]),
    "eligibility, all": (10, [["", "1", "1"]]),
    "eligibility, one": (10, [["", "1", "2", "0", "3"]]),
    "complaint filing": (6, [["", "4", "1", "1", "1", "1"]]),  # category, programme, no text, send
    "complaint status": (8, [["", "5", "{tracking}"]]),
    "another person": (5, [["", "6", "{nid}", "{dob}"]]),
    "resume": (5, [["", "1", "98"], ["", "1"]]),  # dropped mid-list, dialled again, continued
    "wrong keys": (6, [["", "9", "1", "55", "00"]]),
    "unregistered": (6, [["", "2"]]),  # how to enrol, from a phone not in the registry
}


WORKERS = os.environ.get("BENCH_WORKERS", "4")  # 2 x cores; 3 and 8 measured no better
GUNICORN = ["--workers", WORKERS, "--worker-class", "sync", "--backlog", "2048", "--log-level", "warning"]


# BENCH_PORTS=N: the servers listen on N, N+1, … (a shared machine's agreed range) rather than
# on ports the kernel picks.
_PORTS = iter(range(int(os.environ["BENCH_PORTS"]), 65536)) if os.environ.get("BENCH_PORTS") else None


def free_port() -> int:
    if _PORTS is not None:
        return next(_PORTS)
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


@dataclass(frozen=True)
class Callers:
    """Who the simulated phones are and what they type."""

    registered: list[str]
    unregistered: list[str]
    people: list[tuple[str, str]]  # (NID, date of birth as DDMMYYYY) of registered people
    tracking: list[str]  # numbers of complaints on file


def schedule(names: list[str]) -> list[str]:
    """Journey names in proportion to their weights, interleaved (same order every run)."""
    bag = [name for name in names for _ in range(JOURNEYS[name][0])]
    random.Random(7).shuffle(bag)
    return bag


@dataclass
class Run:
    """One drive: every hop's latency, and the steady part's hops and seconds: from the start
    until the first phone finds no session left to run. After that fewer and fewer phones are
    still busy (each finishing its last journey), so a run's tail would count a lower rate the
    longer its journeys and the shorter the run; the steady part is the same measure for a
    5-hop bare session and a 6-hop complaint."""

    latencies: list[float]
    steady_hops: int
    steady_seconds: float

    @property
    def rate(self) -> float:
        return self.steady_hops / self.steady_seconds

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(len(ordered) * 0.99)] * 1e3


def drive(
    port: int, callers: Callers, sessions: int, concurrency: int, names: list[str] | None, think: float = 0.0
) -> Run:
    """Run ``sessions`` journeys (a journey of ``names`` by weight; None: the bare endpoint,
    five hops a session) from ``concurrency`` threads.

    With ``think`` (seconds, the mean of an exponential pause before each hop) the phones
    behave like people reading a screen: the offered load is set by the pauses, not by how
    fast the server answers, and the latency measured is the server's, not a queue's."""
    latencies: list[float] = []
    finished: list[float] = []  # when each hop's reply was read
    exhausted: list[float] = []  # when the first phone found no session left
    lock = threading.Lock()
    counter = iter(range(sessions))
    order = schedule(names) if names else []
    unavailable = translate("bn", "Service unavailable. Please try again later.").encode()

    def hop(
        connection, session_id: str, phone: str, text: str, own: list[float], own_done: list[float], pauses
    ) -> bytes:
        if think:
            time.sleep(pauses.expovariate(1 / think))
        body = urllib.parse.urlencode(
            {"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": phone, "text": text}
        )
        started = time.perf_counter()
        connection.request("POST", "/ussd/africastalking", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        reply = response.read()
        done = time.perf_counter()
        own.append(done - started)
        own_done.append(done)
        if response.status != 200 or (names and (unavailable in reply or reply[:3] not in (b"CON", b"END"))):
            raise RuntimeError(f"hop {text!r} answered {response.status}: {reply[:80]!r}")
        return reply

    def phone_thread(index: int) -> None:
        own: list[float] = []
        own_done: list[float] = []
        pauses = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                number = next(counter, None)
                if number is None and not exhausted:
                    exhausted.append(time.perf_counter())
            if number is None:
                break
            if not names:
                session_id = uuid.uuid4().hex
                phone = callers.registered[number % len(callers.registered)]
                for _ in range(5):
                    hop(connection, session_id, phone, "", own, own_done, pauses)
                continue
            journey = order[number % len(order)]
            pool = callers.unregistered if journey == "unregistered" else callers.registered
            phone = pool[(index * 7919 + number) % len(pool)]
            nid, dob = callers.people[number % len(callers.people)]
            values = {"nid": nid, "dob": dob, "tracking": callers.tracking[number % len(callers.tracking)]}
            for inputs in JOURNEYS[journey][1]:
                session_id, typed = uuid.uuid4().hex, []
                for step in inputs:
                    if step:
                        typed.append(step.format(**values))
                    hop(connection, session_id, phone, "*".join(typed), own, own_done, pauses)
        with lock:
            latencies.extend(own)
            finished.extend(own_done)

    threads = [threading.Thread(target=phone_thread, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    until = exhausted[0] if exhausted else time.perf_counter()
    return Run(latencies, sum(1 for done in finished if done <= until), until - started)


def report(name: str, run: Run) -> tuple[float, float]:
    """Print and return (hops/s, p99 in ms)."""
    print(
        f"{name:28s} {len(run.latencies):7,d} hops; steady {run.steady_hops:7,d} in {run.steady_seconds:6.1f} s"
        f" = {run.rate:7,.0f} hops/s   p50 {statistics.median(run.latencies) * 1e3:6.1f} ms   p99 {run.p99:6.1f} ms"
    )
    return run.rate, run.p99


def measure(
    name: str, server: subprocess.Popen, port: int, callers: Callers, sessions: int, phones: int, names
) -> tuple[float, float]:
    """One round on one server; returns (hops/s, p99 in ms)."""
    rate, p99, _ = measure_cpu(name, server, port, callers, sessions, phones, names)
    return rate, p99


def measure_cpu(
    name: str, server: subprocess.Popen, port: int, callers: Callers, sessions: int, phones: int, names
) -> tuple[float, float, float]:
    """One round on one server; returns (hops/s, p99 in ms, the web server's CPU ms per hop)."""
    with CpuMeter(server.pid) as cpu:
        run = drive(port, callers, sessions, phones, names)
    rate, p99 = report(name, run)
    print(cpu.report(len(run.latencies)))
    return rate, p99, cpu.used["web server"] / len(run.latencies) * 1e3


# What a hop adds when metrics are on (ussd_app/engine.py): two clock readings, a counter and a
# histogram observation, in the multiprocess mode gunicorn runs them in (gunicorn.conf.py).
METRIC_CALLS = """
import os, sys, tempfile, time
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
from foundation.metrics import hop_metrics
hops, n = hop_metrics({}), int(sys.argv[1])
started = time.process_time()
for i in range(n):
    began = time.perf_counter()
    hops.hop("africastalking", ("main", "payment", "payments", "etokens")[i % 4])
    hops.latency("africastalking", time.perf_counter() - began)
print((time.process_time() - started) / n * 1e6)
"""


def metric_calls_microseconds(calls: int = 200_000) -> float:
    done = subprocess.run(
        [sys.executable, "-c", METRIC_CALLS, str(calls)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def quietly(port: int, callers: Callers, hops: int, phones: int, name: str) -> tuple[float, float]:
    """A journey alone, for about ``hops`` hops (as many as its sessions take)."""
    per_session = sum(len(inputs) for inputs in JOURNEYS[name][1])
    run = drive(port, callers, max(phones, -(-hops // per_session)), phones, [name])
    return run.rate, run.p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6_000, help="journeys in the mix per round")
    parser.add_argument("--journey-hops", type=int, default=6_000, help="hops of each journey run alone")
    parser.add_argument("--phones", type=int, default=64)
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="service and bare Flask measured alternately this many times"
    )
    parser.add_argument(
        "--paced-load",
        type=float,
        default=0.5,
        help="offered load of the latency phase, as a share of what the service took in this round's mix (0: skip it)",
    )
    parser.add_argument("--paced-sessions", type=int, default=1_500, help="journeys in the latency phase per round")
    parser.add_argument(
        "--metrics",
        choices=("on", "off", "both"),
        default="on",
        help="SAHAYATA_METRICS for the service; both: also the mix with them off, and the overhead",
    )
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    names = list(JOURNEYS)
    with scratch_database("ussd_bench") as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        callers = prepare(database_url, redis_url, args.citizens)
        print(
            f"registry: {args.citizens:,} demo citizens; {len(callers.registered):,} phones with payments; "
            f"{args.phones} concurrent phones; gunicorn {' '.join(GUNICORN)}"
        )
        print("mix: " + ", ".join(f"{name} {JOURNEYS[name][0]}%" for name in names))
        service_port, bare_port = free_port(), free_port()
        switch = {"SAHAYATA_METRICS": "0" if args.metrics == "off" else "1"}
        service = start_gunicorn("wsgi:app", service_port, {**env, **switch})
        bare = start_gunicorn("benchmarks.bare_app:app", bare_port, env)
        # The comparison has servers of its own, each driven the same (the service also runs the
        # journeys and the paced phase, which would give one side a different history), and a
        # twin of the metered one: what two identical servers differ by is the method's noise.
        comparison: list[tuple[str, subprocess.Popen, int]] = []
        if args.metrics == "both":
            for label, metrics in (("metrics on", "1"), ("metrics off", "0"), ("metrics on, twin", "1")):
                port = free_port()
                comparison.append((label, start_gunicorn("wsgi:app", port, {**env, "SAHAYATA_METRICS": metrics}), port))
        rates: dict[str, list[float]] = {label: [] for label, _, _ in comparison}
        cpus: dict[str, list[float]] = {label: [] for label, _, _ in comparison}
        shares, p99s, paced_p99s, paced_bare_p99s = [], [], [], []
        journey_shares: dict[str, list[float]] = {name: [] for name in names}
        journey_p99s: dict[str, list[float]] = {name: [] for name in names}
        try:
            drive(service_port, callers, 300, args.phones, names)  # warm-up: imports, pools, caches
            drive(bare_port, callers, 300, args.phones, None)
            for _, _, port in comparison:
                drive(port, callers, 300, args.phones, names)
            # A shared machine's speed drifts from minute to minute, bare Flask's too:
            # alternating rounds and taking the median share keeps one slow minute from
            # deciding the figure.
            for number in range(1, args.rounds + 1):
                print(f"round {number} of {args.rounds}")
                service_rate, p99 = measure(
                    "Sahayata, payday mix", service, service_port, callers, args.sessions, args.phones, names
                )
                bare_rate, _ = measure(
                    "bare Flask, same settings", bare, bare_port, callers, args.sessions, args.phones, None
                )
                shares.append(service_rate / bare_rate)
                p99s.append(p99)
                print(f"    mix = {100 * shares[-1]:.0f}% of bare Flask")
                if comparison:
                    # Each round starts with a different one of the three, so that a machine
                    # slowing down does not always favour one.
                    turn = (number - 1) % len(comparison)
                    for label, server, port in comparison[turn:] + comparison[:turn]:
                        rate, _, cpu_ms = measure_cpu(
                            f"Sahayata, {label}", server, port, callers, args.sessions, args.phones, names
                        )
                        rates[label].append(rate)
                        cpus[label].append(cpu_ms)
                    print(
                        f"    metrics overhead {_overhead(rates, cpus, 'metrics off', -1)}; "
                        f"the twin against metrics on {_overhead(rates, cpus, 'metrics on, twin', -1)}"
                    )
                if args.paced_load:
                    # Saturated, 64 phones pressing without pause make the p99 a queue's length
                    # (bare Flask's own p99 is then above 50 ms); paced below what the service
                    # can take, the p99 is the time a hop takes when the server has room. Bare
                    # Flask gets the same offered load.
                    offered = args.paced_load * service_rate
                    think = args.phones / offered
                    run = drive(service_port, callers, args.paced_sessions, args.phones, names, think)
                    _, paced = report(f"Sahayata mix, paced {offered:,.0f}/s", run)
                    run = drive(bare_port, callers, args.paced_sessions, args.phones, None, think)
                    _, paced_bare = report(f"bare Flask, paced {offered:,.0f}/s", run)
                    paced_p99s.append(paced)
                    paced_bare_p99s.append(paced_bare)
                for name in names:
                    rate, journey_p99 = quietly(service_port, callers, args.journey_hops, args.phones, name)
                    journey_shares[name].append(rate / bare_rate)
                    journey_p99s[name].append(journey_p99)
                    print(
                        f"    {name:18s} alone: {rate:7,.0f} hops/s = {100 * rate / bare_rate:3.0f}%   "
                        f"p99 {journey_p99:5.1f} ms"
                    )
        finally:
            stop(service)
            stop(bare)
            for _, server, _ in comparison:
                stop(server)
        print(f"medians of {args.rounds} rounds (share of bare Flask in the same round):")
        for name in names:
            print(
                f"    {name:18s} {100 * statistics.median(journey_shares[name]):3.0f}%   "
                f"p99 {statistics.median(journey_p99s[name]):5.1f} ms   (target >= 40%)"
            )
        print(
            f"    {'payday mix':18s} {100 * statistics.median(shares):3.0f}%   p99 {statistics.median(p99s):5.1f} ms   "
            "(target >= 50%; p99 here is at saturation, bare Flask's own is above 50 ms)"
        )
        if paced_p99s:
            print(
                f"    {'mix, paced':18s}       p99 {statistics.median(paced_p99s):5.1f} ms   "
                f"(bare Flask {statistics.median(paced_bare_p99s):5.1f} ms; offered load "
                f"{100 * args.paced_load:.0f}% of the mix's saturated rate; target p99 < 50 ms)"
            )
        if comparison:
            off_cpu = statistics.median(cpus["metrics off"])
            calls = metric_calls_microseconds()
            paired = [_overhead(rates, cpus, "metrics off", i, numbers=True)[0] for i in range(args.rounds)]
            twins = [_overhead(rates, cpus, "metrics on, twin", i, numbers=True)[0] for i in range(args.rounds)]
            print(
                f"    {'metrics on/off':18s} overhead in rate, median of the rounds' pairs "
                f"{statistics.median(paired):+.1f}% (rounds {', '.join(f'{v:+.1f}' for v in paired)}); "
                f"two identical metered servers differ by {statistics.median(twins):+.1f}% "
                f"(rounds {', '.join(f'{v:+.1f}' for v in twins)})"
            )
            print(
                f"    {'metric calls':18s} {calls:.1f} µs CPU a hop = {100 * calls / (off_cpu * 1e3):.2f}% of the "
                f"{off_cpu:.3f} ms a hop costs the web server without them (target <= 3%)"
            )


def _overhead(rates, cpus, other: str, index: int, numbers: bool = False):
    """What "metrics on" costs against ``other`` in one round: in rate, and in web CPU a hop."""
    on_rate, on_cpu = rates["metrics on"][index], cpus["metrics on"][index]
    rate = 100 * (1 - on_rate / rates[other][index])
    cpu = 100 * (on_cpu / cpus[other][index] - 1)
    if numbers:
        return rate, cpu
    return f"{rate:+.1f}% in rate, {cpu:+.1f}% in CPU ({on_rate:,.0f} / {rates[other][index]:,.0f} hops/s)"


def prepare(database_url: str, redis_url: str, citizens: int) -> Callers:
    from redis import Redis

    from foundation.db import db_session
    from grievance.intake import Filing, file_grievance
    from grievance.models import Category, Channel
    from registry.demo import generate_demo_data
    from registry.models import Citizen, Enrolment

    Redis.from_url(redis_url).flushdb()
    app = ready_app(database_url, None)
    with app.app_context():
        session = db_session()
        generate_demo_data(session, citizens, seed=3)
        registered = list(
            session.scalars(
                select(Citizen.mobile).join(Enrolment).where(Citizen.mobile.is_not(None)).distinct().limit(5000)
            )
        )
        people = [
            (nid, born.strftime("%d%m%Y"))
            for nid, born in session.execute(select(Citizen.nid, Citizen.date_of_birth).limit(2000))
        ]
        tracking = []
        for phone in registered[:300]:
            filing = Filing(phone, Category.PAYMENT_NOT_RECEIVED, None, None, Channel.SMS, "bn")
            tracking.append(file_grievance(session, filing).grievance.tracking_number)
        session.commit()
    unregistered = [f"+8801999{n:06d}" for n in range(2000)]
    return Callers(registered, unregistered, people, tracking)


if __name__ == "__main__":
    main()
