"""CPU per USSD hop, in process: each journey of ussd_bench's payday mix through the test client.

    .venv/bin/python benchmarks/ussd_hop_cpu.py [--sessions 300] [--rounds 3] [--plain] [--wsgi] [--remember-hook HOPS]

Unlike ussd_bench.py this starts no servers and counts only this process's CPU
(time.process_time), so other work on the machine moves the figures far less; PostgreSQL and
Redis answer from their own processes and are not counted. Needs DATABASE_URL on PostgreSQL
(a scratch database is made and dropped) and Redis at BENCH_REDIS_URL. Each round runs every
journey alone (--sessions sessions each), bare Flask (ussd_bench's baseline) and the payday
mix, and prints the CPU per hop of each; the medians come last.
``--wsgi`` makes every hop (the service's and bare Flask's) a WSGI call on the app, as gunicorn
makes it, so the test client's own CPU is in no figure. ``--plain`` runs with
SAHAYATA_FAST_PATH=0; ``--profile JOURNEY`` (repeatable) prints where that journey's CPU goes
(cProfile). ``--instructions DIR`` counts instructions instead of CPU time, under callgrind
(benchmarks/README.md has the command). ``--remember-hook HOPS`` instead times the payday mix,
HOPS hops at a time, with Flask-Login's remember-cookie hook on the staff blueprint only (as
staff/auth.py puts it) and on every request (Flask-Login's own way), alternating.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scratch import ready_app, scratch_database  # noqa: E402
from benchmarks.ussd_bench import JOURNEYS, Callers, prepare, schedule  # noqa: E402
from foundation.i18n import translate  # noqa: E402

UNAVAILABLE = translate("bn", "Service unavailable. Please try again later.").encode()


class Dialler:
    """Runs journeys through the Africa's Talking endpoint of an app, in this process."""

    def __init__(self, app, callers: Callers) -> None:
        self.client = app.test_client()
        self.callers = callers
        self.numbers = itertools.count()

    def journey(self, name: str) -> int:
        """One session of the journey (two for a resumed one); returns the hops it took."""
        number = next(self.numbers)
        callers = self.callers
        pool = callers.unregistered if name == "unregistered" else callers.registered
        phone = pool[(number * 7919) % len(pool)]
        nid, dob = callers.people[number % len(callers.people)]
        values = {"nid": nid, "dob": dob, "tracking": callers.tracking[number % len(callers.tracking)]}
        hops = 0
        for inputs in JOURNEYS[name][1]:
            session_id, typed = uuid.uuid4().hex, []
            for step in inputs:
                if step:
                    typed.append(step.format(**values))
                self.hop(session_id, phone, "*".join(typed))
                hops += 1
        return hops

    def hop(self, session_id: str, phone: str, text: str) -> None:
        response = self.client.post(
            "/ussd/africastalking",
            data={"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": phone, "text": text},
        )
        reply = response.get_data()
        if response.status_code != 200 or UNAVAILABLE in reply or reply[:3] not in (b"CON", b"END"):
            raise RuntimeError(f"hop {text!r} answered {response.status_code}: {reply[:80]!r}")


def wsgi_environ(body: str) -> dict:
    """A hop's environ as a WSGI server builds it (no test client's CPU in the figures)."""
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/ussd/africastalking",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def wsgi_post(app, body: str) -> tuple[str, bytes]:
    status: list[str] = []
    reply = b"".join(app(wsgi_environ(body), lambda line, headers, exc_info=None: status.append(line)))
    return status[0], reply


class WsgiDialler(Dialler):
    """The same journeys, each hop a WSGI call on the app, as gunicorn makes it."""

    def __init__(self, app, callers: Callers) -> None:
        super().__init__(app, callers)
        self.app = app

    def hop(self, session_id: str, phone: str, text: str) -> None:
        body = urllib.parse.urlencode(
            {"sessionId": session_id, "serviceCode": "*123#", "phoneNumber": phone, "text": text}
        )
        status, reply = wsgi_post(self.app, body)
        if not status.startswith("200") or UNAVAILABLE in reply or reply[:3] not in (b"CON", b"END"):
            raise RuntimeError(f"hop {text!r} answered {status}: {reply[:80]!r}")


def cpu_per_hop(run) -> float:
    """Microseconds of this process's CPU per hop of ``run()`` (which returns its hops)."""
    started = time.process_time()
    hops = run()
    return (time.process_time() - started) / hops * 1e6


WSGI = False  # --wsgi: hops as WSGI calls, not through the test client


def bare_hops(hops: int) -> int:
    """Hops to ussd_bench's baseline, bare Flask, the way the service's hops are made."""
    from benchmarks.bare_app import app

    if WSGI:
        for _ in range(hops):
            wsgi_post(app, "sessionId=s&serviceCode=%2A123%23&phoneNumber=%2B8801712000001&text=")
        return hops
    client = app.test_client()
    for _ in range(hops):
        client.post("/ussd/africastalking", data={"sessionId": "s", "phoneNumber": "+8801712000001", "text": ""})
    return hops


def journeys(dialler: Dialler, sessions: int, rounds: int) -> None:
    names = list(JOURNEYS)
    mix = schedule(names)
    figures: dict[str, list[float]] = {name: [] for name in [*names, "bare Flask", "payday mix"]}
    for name in names:  # warm-up: imports, pools, caches
        dialler.journey(name)
    for number in range(1, rounds + 1):
        print(f"round {number} of {rounds} (CPU per hop, µs)")
        for name in names:
            figures[name].append(cpu_per_hop(lambda n=name: sum(dialler.journey(n) for _ in range(sessions))))
            print(f"    {name:18s} {figures[name][-1]:7.0f}")
        figures["bare Flask"].append(cpu_per_hop(lambda: bare_hops(sessions * 5)))
        print(f"    {'bare Flask':18s} {figures['bare Flask'][-1]:7.0f}")
        mixed = [mix[i % len(mix)] for i in range(len(names) * sessions)]
        figures["payday mix"].append(cpu_per_hop(lambda m=mixed: sum(dialler.journey(name) for name in m)))
        print(f"    {'payday mix':18s} {figures['payday mix'][-1]:7.0f}")
    print(f"medians of {rounds} rounds (CPU per hop, µs):")
    for name, values in figures.items():
        print(f"    {name:18s} {statistics.median(values):7.0f}")


def remember_hook(app, callers: Callers, hops: int, rounds: int, per_hop=None) -> None:
    """The mix with Flask-Login's after-request hook where staff/auth.py puts it and where
    Flask-Login puts it, alternating; the hook is moved between the two places in between."""
    hooks = app.after_request_funcs
    moved = [hook for hook in hooks.get("staff", []) if getattr(hook, "__name__", "") == "_update_remember_cookie"]
    if not moved:
        sys.exit("the remember-cookie hook is not on the staff blueprint: nothing to compare")
    mix = schedule(list(JOURNEYS))
    dialler = Dialler(app, callers)
    per_hop = per_hop or cpu_per_hop
    unit = "µs" if per_hop is cpu_per_hop else "instructions"

    def run() -> int:
        done, i = 0, 0
        while done < hops:
            done += dialler.journey(mix[i % len(mix)])
            i += 1
        return done

    def everywhere(on: bool) -> None:
        for hook in moved:
            if on:
                hooks["staff"].remove(hook)
                hooks.setdefault(None, []).append(hook)
            else:
                hooks[None].remove(hook)
                hooks["staff"].append(hook)

    run()  # warm-up
    staff_only, every_request = [], []
    for number in range(1, rounds + 1):
        # Which goes first alternates too, so that a drift in the machine's speed within a
        # round favours neither.
        if number % 2:
            staff_only.append(per_hop(run))
            everywhere(True)
            every_request.append(per_hop(run))
            everywhere(False)
        else:
            everywhere(True)
            every_request.append(per_hop(run))
            everywhere(False)
            staff_only.append(per_hop(run))
        print(f"round {number}: staff blueprint only {staff_only[-1]:,.0f}, every request {every_request[-1]:,.0f}")
    alone = hook_alone(app, moved, rounds, per_hop)
    print(f"the hook alone, on a USSD hop's request context: {alone:,.1f} {unit}")
    saved = [b - a for a, b in zip(staff_only, every_request, strict=True)]
    only, every = statistics.median(staff_only), statistics.median(every_request)
    print(
        f"median: staff only {only:,.0f}, every request {every:,.0f} {unit};"
        f" the move saves {statistics.median(saved):,.1f} a hop = {100 * statistics.median(saved) / every:.2f}%"
    )


def profile(dialler: Dialler, name: str, sessions: int) -> None:
    import cProfile
    import pstats

    dialler.journey(name)  # warm-up
    profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on PostgreSQL and Redis
    profiler.runcall(lambda: [dialler.journey(name) for _ in range(sessions)])
    pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)


def hook_alone(app, hooks, rounds: int, per_hop, repeats: int = 2_000) -> float:
    """What the hooks add to a USSD hop's response, each a request context of its own (a
    hop's difference is too small to see beside the noise of whole hops)."""
    from flask import Response
    from werkzeug.test import EnvironBuilder

    body = {"sessionId": "s", "serviceCode": "*123#", "phoneNumber": "+8801712000001", "text": ""}
    environ = EnvironBuilder(path="/ussd/africastalking", method="POST", data=body).get_environ()

    def respond(with_hooks: bool) -> float:
        def run() -> int:
            for _ in range(repeats):
                with app.request_context(dict(environ)):
                    response = Response("CON x")
                    if with_hooks:
                        for hook in hooks:
                            response = hook(response)
            return repeats

        return per_hop(run)

    differences = []
    for number in range(rounds):
        first = respond(number % 2 == 0)
        second = respond(number % 2 == 1)
        differences.append(first - second if number % 2 == 0 else second - first)
    return statistics.median(differences)


class Callgrind:
    """Instructions per hop, counted by callgrind (the same on a busy machine as on a quiet
    one). The script must run under ``valgrind --tool=callgrind --instr-atstart=no
    --callgrind-out-file=DIR/cg.%p.out``; counting starts with the first measurement."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir, self.pid, self.dumps = out_dir, str(os.getpid()), 0

    def _control(self, *args: str) -> None:
        import subprocess

        subprocess.run(["callgrind_control", *args, self.pid], check=True, capture_output=True)

    def per_hop(self, run) -> float:
        if not self.dumps:
            # On once and never off: switching it off and on again leaves a dump's counts
            # inconsistent. Each measurement starts from zero.
            self._control("-i", "on")
        self._control("-z")
        hops = run()
        self._control("-d")
        self.dumps += 1
        dump = f"{self.out_dir}/cg.{self.pid}.out.{self.dumps}"
        with open(dump) as handle:
            total = next(int(line.split()[1]) for line in handle if line.startswith("summary:"))
        os.remove(dump)
        return total / hops


def instructions(dialler: Dialler, sessions: int, meter: Callgrind) -> None:
    names = list(JOURNEYS)
    for name in names:  # warm-up: imports, pools, caches
        dialler.journey(name)
    print("instructions per hop (callgrind):")
    for name in names:
        print(f"    {name:18s} {meter.per_hop(lambda n=name: sum(dialler.journey(n) for _ in range(sessions))):12,.0f}")
    print(f"    {'bare Flask':18s} {meter.per_hop(lambda: bare_hops(sessions * 5)):12,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300, help="sessions of each journey per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--citizens", type=int, default=5_000)
    parser.add_argument("--plain", action="store_true", help="SAHAYATA_FAST_PATH=0: the plain libraries")
    parser.add_argument(
        "--wsgi", action="store_true", help="call the apps as a WSGI server does, without the test client's CPU"
    )
    parser.add_argument("--profile", metavar="JOURNEY", action="append", choices=list(JOURNEYS), help="repeatable")
    parser.add_argument("--instructions", metavar="DIR", help="under callgrind (see benchmarks/README.md)")
    parser.add_argument("--remember-hook", type=int, metavar="HOPS", help="time the remember-cookie hook's move")
    args = parser.parse_args()
    global WSGI
    WSGI = args.wsgi
    make_dialler = WsgiDialler if args.wsgi else Dialler

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    with scratch_database("ussd_hop_cpu") as database_url:
        callers = prepare(database_url, redis_url, args.citizens)
        app = ready_app(database_url, redis_url, SAHAYATA_FAST_PATH=not args.plain)
        print(f"{args.citizens:,} demo citizens; fast path {'off' if args.plain else 'on'}")
        meter = Callgrind(args.instructions) if args.instructions else None
        if args.profile:
            for name in args.profile:
                print(f"== {name}")
                profile(make_dialler(app, callers), name, args.sessions)
        elif args.remember_hook:
            remember_hook(app, callers, args.remember_hook, args.rounds, meter.per_hop if meter else None)
        elif meter:
            instructions(make_dialler(app, callers), args.sessions, meter)
        else:
            journeys(make_dialler(app, callers), args.sessions, args.rounds)


if __name__ == "__main__":
    main()
