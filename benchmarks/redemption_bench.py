"""Redemptions under load: outlet apps start and confirm redemptions through the JSON API on
real PostgreSQL and Redis under gunicorn.

    .venv/bin/python benchmarks/redemption_bench.py [--redemptions 3000] [--operators 64] [--rounds 3]

Creates a scratch PostgreSQL database (dropped at the end) with --outlets outlets (food
dealers serving FFP, each with its bearer token) and --wallets funded FFP wallets, one per
citizen, all written by COPY (foundation.bulk), starts gunicorn on 127.0.0.1 with the service
and another with bare Flask (benchmarks/bare_app.py) under the same settings as
ussd_bench.py. Concurrent operators each take the next redemption: POST
/api/outlets/redemptions for the next unused wallet at the next outlet (the beneficiary named
by mobile, one in five by NID), read the code from the SMS the beneficiary's phone would
receive (its row in sms_messages; the code is nowhere else in clear), then POST …/confirm
with it. Then bare Flask gets the same number of calls, each a JSON POST, from the same number
of operators, and then the floor (benchmarks/floor_app.py: the service's own SQL and round
trips straight from Flask through psycopg, no library in between) the same redemptions.
Each round prints completed redemptions/s, the calls/s beside bare Flask's requests/s,
p50/p99 of each call (start, confirm) and the CPU each party spent per call; then
the operators are paced (an exponential pause before each call) so that the offered load is
--paced-load of the calls/s the service took in that round, and the p99s at that load are
printed beside bare Flask's: saturated, 64 operators on 2 cores make a call's latency mostly
the queue in front of it. Rounds alternate; the medians come last. Rates count a run's steady
part (ussd_bench.Run): until the first operator finds no redemption left.
Targets: the redemption calls at least 25% of bare Flask's requests/s; p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import re
import secrets
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.cpu import CpuMeter  # noqa: E402
from benchmarks.scratch import ready_app, scratch_database  # noqa: E402
from benchmarks.ussd_bench import GUNICORN, Run, free_port, start_gunicorn, stop  # noqa: E402
from foundation.i18n import to_ascii_digits  # noqa: E402

START_URL = "/api/outlets/redemptions"
PHONE_CONNECTIONS = 4
BALANCE = Decimal(30)  # kg rice: one month's FFP ration
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass(frozen=True)
class Fixtures:
    """What the simulated operators use: each outlet's bearer token, and each wallet's
    beneficiary as an operator would type them (a mobile, or an NID)."""

    tokens: list[str]
    beneficiaries: list[str]


@dataclass
class Drive:
    """One run: every call's latency by kind, and the steady part's calls and completions."""

    starts: list[float] = field(default_factory=list)
    confirms: list[float] = field(default_factory=list)
    steady_calls: int = 0
    steady_completed: int = 0
    steady_seconds: float = 0.0

    @property
    def run(self) -> Run:
        return Run(self.starts + self.confirms, self.steady_calls, self.steady_seconds)

    @property
    def completed_rate(self) -> float:
        return self.steady_completed / self.steady_seconds


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(len(ordered) * 0.99)] * 1e3 if ordered else float("nan")


def p50(latencies: list[float]) -> float:
    return statistics.median(latencies) * 1e3 if latencies else float("nan")


class Wallets:
    """The next unused wallet, across every run: a wallet is redeemed once, so no two
    operators ever meet on one (that race is the concurrency tests' business, not a rate's)."""

    def __init__(self, count: int) -> None:
        self._next = iter(range(count))
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            number = next(self._next, None)
        if number is None:
            raise SystemExit("out of unused wallets: give --wallets more, or fewer --redemptions")
        return number


def drive(
    port: int,
    database_url: str | None,
    fixtures: Fixtures,
    wallets: Wallets,
    redemptions: int,
    operators: int,
    think: float = 0.0,
) -> Drive:
    """``redemptions`` start-and-confirm pairs from ``operators`` threads; with no
    ``database_url`` the bare endpoint gets the same two JSON POSTs per redemption.

    With ``think`` (seconds, the mean of an exponential pause before each call) the offered
    load is set by the pauses, not by how fast the server answers."""
    result = Drive()
    finished: list[tuple[float, bool]] = []  # (when a call's answer was read, did it complete a redemption)
    exhausted: list[float] = []
    lock = threading.Lock()
    counter = iter(range(redemptions))
    dsn = None
    if database_url:
        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def call(connection, path: str, token: str, body: dict, pauses: random.Random, own: list[float]):
        if think:
            time.sleep(pauses.expovariate(1 / think))
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Accept-Language": "en"}
        began = time.perf_counter()
        connection.request("POST", path, payload, headers)
        response = connection.getresponse()
        answer = response.read()
        done = time.perf_counter()
        own.append(done - began)
        return response.status, answer, done

    def operator(index: int) -> None:
        starts: list[float] = []
        confirms: list[float] = []
        done_at: list[tuple[float, bool]] = []
        pauses = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while True:
                with lock:
                    number = next(counter, None)
                    if number is None and not exhausted:
                        exhausted.append(time.perf_counter())
                if number is None:
                    break
                token = fixtures.tokens[number % len(fixtures.tokens)]
                if phones is None:
                    body = {"beneficiary": "01700000000", "quantity": 1, "request_id": f"bare-{number}"}
                    _, _, done = call(connection, START_URL, token, body, pauses, starts)
                    done_at.append((done, False))
                    _, _, done = call(connection, START_URL, token, {"code": "123456"}, pauses, confirms)
                    done_at.append((done, True))
                    continue
                typed = fixtures.beneficiaries[wallets.take()]
                body = {"beneficiary": typed, "quantity": 1, "request_id": secrets.token_hex(8)}
                status, answer, done = call(connection, START_URL, token, body, pauses, starts)
                if status != 201:
                    raise RuntimeError(f"start answered {status}: {answer[:200]!r}")
                done_at.append((done, False))
                redemption_id = json.loads(answer)["id"]
                phone = phones.get()
                try:
                    code = code_received(phone, redemption_id)
                finally:
                    phones.put(phone)
                path = f"{START_URL}/{redemption_id}/confirm"
                status, answer, done = call(connection, path, token, {"code": code}, pauses, confirms)
                if status != 200 or json.loads(answer)["status"] != "completed":
                    raise RuntimeError(f"confirm answered {status}: {answer[:200]!r}")
                done_at.append((done, True))
        finally:
            connection.close()
        with lock:
            result.starts.extend(starts)
            result.confirms.extend(confirms)
            finished.extend(done_at)

    # The phones read their SMS through a few shared connections: one each would take 64 of
    # PostgreSQL's connections beside the workers' pools.
    phones: queue.SimpleQueue[psycopg.Connection] | None = None
    if dsn:
        phones = queue.SimpleQueue()
        for _ in range(PHONE_CONNECTIONS):
            phones.put(psycopg.connect(dsn, autocommit=True))
    threads = [threading.Thread(target=operator, args=(i,)) for i in range(operators)]
    began = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        while phones is not None and not phones.empty():
            phones.get().close()
    if len(finished) != 2 * redemptions:
        raise SystemExit("an operator failed (see above)")
    until = exhausted[0] if exhausted else time.perf_counter()
    steady = [completes for done, completes in finished if done <= until]
    result.steady_calls, result.steady_completed = len(steady), sum(steady)
    result.steady_seconds = until - began
    return result


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def code_received(phone: psycopg.Connection, redemption_id: int) -> str:
    """The 6-digit code as the beneficiary's phone gets it: from the SMS's text."""
    row = phone.execute(
        "SELECT text FROM sms_messages WHERE dedupe_key = %s", (f"redemption:{redemption_id}:code",)
    ).fetchone()
    if row is None:
        raise RuntimeError(f"no code SMS for redemption {redemption_id}")
    found = _CODE.search(to_ascii_digits(row[0]))
    if found is None:
        raise RuntimeError(f"no 6-digit code in the SMS of redemption {redemption_id}")
    return found.group()


def report(name: str, drive: Drive) -> float:
    """Print the run's figures; returns its calls/s."""
    run = drive.run
    print(
        f"{name:30s} {len(run.latencies):7,d} calls; steady {run.steady_hops:7,d} in {run.steady_seconds:6.1f} s"
        f" = {run.rate:7,.0f} calls/s   p50 {p50(run.latencies):6.1f} ms   p99 {run.p99:6.1f} ms"
    )
    return run.rate


def report_service(name: str, drive: Drive) -> float:
    rate = report(name, drive)
    print(
        f"    {drive.completed_rate:7,.0f} completed redemptions/s;"
        f"   start p50 {p50(drive.starts):6.1f} ms p99 {p99(drive.starts):6.1f} ms;"
        f"   confirm p50 {p50(drive.confirms):6.1f} ms p99 {p99(drive.confirms):6.1f} ms"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=1_000)
    parser.add_argument("--wallets", type=int, default=100_000)
    parser.add_argument("--operators", type=int, default=64, help="concurrent outlet apps")
    parser.add_argument("--redemptions", type=int, default=3_000, help="start-and-confirm pairs per round")
    parser.add_argument("--rounds", type=int, default=3, help="service and bare Flask measured alternately")
    parser.add_argument(
        "--paced-load",
        type=float,
        default=0.5,
        help="offered load of the latency phase, as a share of the calls/s the service took in the round (0: skip)",
    )
    parser.add_argument("--paced-redemptions", type=int, default=1_000, help="redemptions in the latency phase")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead: N redemptions in this process through Flask's test client under cProfile (no servers)",
    )
    parser.add_argument(
        "--lean-floor",
        action="store_true",
        help="also serve the calls in two round trips each (benchmarks/lean_floor_app.py) and print its share",
    )
    parser.add_argument(
        "--instructions",
        metavar="DIR",
        help="with --profile N: count instructions per call under callgrind instead (see benchmarks/README.md)",
    )
    args = parser.parse_args()
    if args.profile:
        return profile(args.outlets, args.wallets, args.profile, args.instructions)
    # Each of the service, the floor and (if asked) the lean floor redeems wallets in the
    # warm-up and every round; the paced runs only the service's; bare Flask none.
    servers = 3 if args.lean_floor else 2
    per_round = servers * args.redemptions + (args.paced_redemptions if args.paced_load else 0)
    if servers * args.operators + args.rounds * per_round > args.wallets:
        sys.exit("--wallets must cover the warm-up and every round's redemptions (each wallet is redeemed once)")

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with scratch_database("redemption_bench") as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        began = time.perf_counter()
        fixtures = prepare(database_url, redis_url, args.outlets, args.wallets)
        print(
            f"registry: {args.outlets:,} outlets, {args.wallets:,} funded wallets (written in "
            f"{time.perf_counter() - began:.1f} s); {args.operators} concurrent operators; "
            f"gunicorn {' '.join(GUNICORN)}"
        )
        wallets = Wallets(len(fixtures.beneficiaries))
        service_port, bare_port, floor_port = free_port(), free_port(), free_port()
        service = start_gunicorn("wsgi:app", service_port, env)
        bare = start_gunicorn("benchmarks.bare_app:app", bare_port, env)
        floor_env = {**env, "FLOOR_DATABASE_URL": _dsn(database_url)}
        floor = start_gunicorn("benchmarks.floor_app:app", floor_port, floor_env)
        lean_port = free_port()
        lean = start_gunicorn("benchmarks.lean_floor_app:app", lean_port, floor_env) if args.lean_floor else None
        lean_shares: list[float] = []
        shares, floor_shares, completed, start_p99s, confirm_p99s = [], [], [], [], []
        paced_start, paced_confirm, paced_bare = [], [], []
        try:
            # Warm-up: imports, pools, prepared statements in every worker.
            drive(service_port, database_url, fixtures, wallets, args.operators, args.operators)
            drive(bare_port, None, fixtures, wallets, 300, args.operators)
            drive(floor_port, database_url, fixtures, wallets, args.operators, args.operators)
            if lean:
                drive(lean_port, database_url, fixtures, wallets, args.operators, args.operators)
            for number in range(1, args.rounds + 1):
                print(f"round {number} of {args.rounds}")
                with CpuMeter(service.pid) as cpu:
                    run = drive(service_port, database_url, fixtures, wallets, args.redemptions, args.operators)
                service_rate = report_service("Sahayata, start + confirm", run)
                print(cpu.report(len(run.run.latencies)).replace("per hop", "per call"))
                with CpuMeter(bare.pid) as cpu:
                    bare_run = drive(bare_port, None, fixtures, wallets, args.redemptions, args.operators)
                bare_rate = report("bare Flask, same settings", bare_run)
                print(cpu.report(len(bare_run.run.latencies)).replace("per hop", "per call"))
                with CpuMeter(floor.pid) as cpu:
                    floor_run = drive(floor_port, database_url, fixtures, wallets, args.redemptions, args.operators)
                floor_rate = report("floor: the same SQL, no library", floor_run)
                print(cpu.report(len(floor_run.run.latencies)).replace("per hop", "per call"))
                shares.append(service_rate / bare_rate)
                floor_shares.append(floor_rate / bare_rate)
                print(f"    the floor = {100 * floor_shares[-1]:.0f}% of bare Flask")
                if lean:
                    with CpuMeter(lean.pid) as cpu:
                        lean_run = drive(lean_port, database_url, fixtures, wallets, args.redemptions, args.operators)
                    lean_shares.append(report("lean floor: two round trips a call", lean_run) / bare_rate)
                    print(cpu.report(len(lean_run.run.latencies)).replace("per hop", "per call"))
                    print(f"    the lean floor = {100 * lean_shares[-1]:.0f}% of bare Flask")
                completed.append(run.completed_rate)
                start_p99s.append(p99(run.starts))
                confirm_p99s.append(p99(run.confirms))
                print(f"    redemption calls = {100 * shares[-1]:.0f}% of bare Flask")
                if args.paced_load:
                    offered = args.paced_load * service_rate
                    think = args.operators / offered
                    paced = drive(
                        service_port, database_url, fixtures, wallets, args.paced_redemptions, args.operators, think
                    )
                    report_service(f"Sahayata, paced {offered:,.0f} calls/s", paced)
                    paced_start.append(p99(paced.starts))
                    paced_confirm.append(p99(paced.confirms))
                    bare_paced = drive(
                        bare_port, None, fixtures, wallets, args.paced_redemptions, args.operators, think
                    )
                    report(f"bare Flask, paced {offered:,.0f}/s", bare_paced)
                    paced_bare.append(bare_paced.run.p99)
        finally:
            stop(service)
            stop(bare)
            stop(floor)
            if lean:
                stop(lean)
        median = statistics.median
        print(f"medians of {args.rounds} rounds:")
        print(f"    completed redemptions/s  {median(completed):7,.0f}")
        print(f"    redemption calls         {100 * median(shares):3.0f}% of bare Flask's requests/s (target >= 25%)")
        print(
            f"    the floor                {100 * median(floor_shares):3.0f}% of bare Flask's requests/s"
            " (the service's statements and round trips with no library between Flask and the drivers)"
        )
        if lean_shares:
            print(
                f"    the lean floor           {100 * median(lean_shares):3.0f}% of bare Flask's requests/s"
                " (the same work in two round trips a call: one read, one write of data-modifying CTEs)"
            )
        print(
            f"    saturated p99            start {median(start_p99s):6.1f} ms, confirm {median(confirm_p99s):6.1f} ms"
            " (mostly the queue of 64 operators on the machine's cores)"
        )
        if paced_start:
            print(
                f"    paced p99      start {median(paced_start):6.1f} ms, confirm {median(paced_confirm):6.1f} ms"
                f" (bare Flask {median(paced_bare):5.1f} ms; offered load {100 * args.paced_load:.0f}% of the"
                " saturated rate; target < 100 ms)"
            )


def profile(outlets: int, wallets: int, redemptions: int, instructions_dir: str | None = None) -> None:
    """Where a start and a confirm spend their CPU, by cProfile, in process: the same calls
    through the test client (whose own share is in every figure) after a warm-up. With
    ``instructions_dir`` (under callgrind) the instructions per call instead, code reads
    included, the same on a busy machine as on a quiet one."""
    import cProfile
    import pstats

    from sahayata.app import create_app

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with scratch_database("redemption_profile") as database_url:
        fixtures = prepare(database_url, redis_url, outlets, min(wallets, 2 * redemptions + 100))
        client = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url}).test_client()
        phone = psycopg.connect(
            make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
        )
        wallets_left = Wallets(len(fixtures.beneficiaries))

        def redeem(number: int, profiler: cProfile.Profile | None) -> None:
            headers = {"Authorization": f"Bearer {fixtures.tokens[number % len(fixtures.tokens)]}"}
            body = {
                "beneficiary": fixtures.beneficiaries[wallets_left.take()],
                "quantity": 1,
                "request_id": f"p{number}",
            }
            if profiler:
                profiler.enable()
            started = client.post(START_URL, json=body, headers=headers)
            if profiler:
                profiler.disable()
            assert started.status_code == 201, started.json
            code = code_received(phone, started.json["id"])
            if profiler:
                profiler.enable()
            confirmed = client.post(f"{START_URL}/{started.json['id']}/confirm", json={"code": code}, headers=headers)
            if profiler:
                profiler.disable()
            assert confirmed.status_code == 200, confirmed.json

        for number in range(50):
            redeem(number, None)
        if instructions_dir:
            from benchmarks.ussd_hop_cpu import Callgrind

            def calls() -> int:
                for number in range(50, 50 + redemptions):
                    redeem(number, None)
                return 2 * redemptions

            per_call = Callgrind(instructions_dir).per_hop(calls)
            print(f"{redemptions} redemptions in process: {per_call:,.0f} instructions per call (with the code reads)")
            phone.close()
            return
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database
        began = time.process_time()
        for number in range(50, 50 + redemptions):
            redeem(number, profiler)
        spent = time.process_time() - began
        print(
            f"{redemptions} redemptions in process: {spent / (2 * redemptions) * 1e3:.2f} ms CPU per call"
            " (with the code reads)"
        )
        if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats' callers and callees
            profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
        phone.close()


def prepare(database_url: str, redis_url: str, outlets: int, wallets: int) -> Fixtures:
    """Outlets with tokens and funded wallets, every table written by COPY."""
    from redis import Redis

    from foundation.bulk import insert_new, upsert
    from foundation.db import db_session
    from registry.models import (
        Citizen,
        ETokenLedgerEntry,
        ETokenWallet,
        Household,
        Outlet,
        OutletProgramme,
        Upazila,
    )
    from registry.outlets import token_hash

    Redis.from_url(redis_url).flushdb()
    app = ready_app(database_url, None)
    rng = random.Random(18)
    with app.app_context():
        session = db_session()
        places = list(session.execute(select(Upazila.district_id, Upazila.id).order_by(Upazila.id)))
        household_ids = insert_new(
            session,
            Household.__table__,
            [
                {"external_id": f"BENCH-HH-{n}", "size": 4, "monthly_income_bdt": 6000, "land_decimal": 5}
                for n in range(wallets)
            ],
        )
        people = []
        for n, household_id in enumerate(household_ids):
            district_id, upazila_id = places[n % len(places)]
            people.append(
                {
                    "nid": f"{6_000_000_000 + n}",
                    "name_en": f"Bench Person {n}",
                    "name_bn": "বেঞ্চ ব্যক্তি",
                    "date_of_birth": date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                    "gender": "F" if n % 2 else "M",
                    "mobile": f"+88017{n:08d}",
                    "district_id": district_id,
                    "upazila_id": upazila_id,
                    "household_id": household_id,
                    "disability": False,
                    "marital_status": "married",
                    "language": "en" if n % 5 == 0 else "bn",
                }
            )
        insert_new(session, Citizen.__table__, people)
        citizens = list(session.execute(select(Citizen.id, Citizen.nid, Citizen.mobile).order_by(Citizen.id)))
        wallet_ids = insert_new(
            session,
            ETokenWallet.__table__,
            [
                {"citizen_id": cid, "programme_code": "FFP", "unit": "kg rice", "balance": BALANCE}
                for cid, _, _ in citizens
            ],
        )
        # Each balance equals its ledger from the start, as an import leaves it.
        insert_new(
            session,
            ETokenLedgerEntry.__table__,
            [{"wallet_id": wid, "amount": BALANCE, "reason": "import"} for wid in wallet_ids],
        )
        tokens = [secrets.token_urlsafe(32) for _ in range(outlets)]
        outlet_ids = insert_new(
            session,
            Outlet.__table__,
            [
                {
                    "code": f"BENCH-{n:04d}",
                    "name_en": f"Bench Rice Dealer {n}",
                    "name_bn": "বেঞ্চ চাল ডিলার",
                    "kind": "food_dealer",
                    "district_id": places[n % len(places)][0],
                    "upazila_id": places[n % len(places)][1],
                    "operator_mobile": f"+8801911{n:06d}",
                    "token_hash": token_hash(tokens[n]),
                }
                for n in range(outlets)
            ],
        )
        upsert(
            session,
            OutletProgramme.__table__,
            [{"outlet_id": oid, "programme_code": "FFP"} for oid in outlet_ids],
            ["outlet_id", "programme_code"],
        )
        session.commit()
        session.execute(select(1))  # a new transaction for ANALYZE's view of the committed rows
        for table in ("households", "citizens", "etoken_wallets", "etoken_ledger", "outlets", "outlet_programmes"):
            session.connection().exec_driver_sql(f"ANALYZE {table}")
        session.commit()
    beneficiaries = [nid if n % 5 == 4 else mobile for n, (_, nid, mobile) in enumerate(citizens)]
    rng.shuffle(beneficiaries)
    return Fixtures(tokens, beneficiaries)


if __name__ == "__main__":
    main()
