"""Complaints routed per second by 2 RQ workers on real Redis and PostgreSQL.

    .venv/bin/python benchmarks/grievance_bench.py [--complaints 10000]

Creates a scratch PostgreSQL database (dropped at the end) and uses Redis database 14.
1. Floor: 10,000 no-op jobs drained by 2 `flask worker` processes (RQ's own throughput).
   The workers serve the "default" queue, where routing runs; the citizens' SMS wait on the
   "sms" queue, whose throughput benchmarks/sms_bench.py measures.
2. Files the complaints through the intake service with no worker running, then drains
   their routing jobs with 2 workers: complaints routed per second (target: >= 50% of 1).
   With a backlog like this one, a routing job routes up to 50 waiting complaints in one
   transaction and the later jobs find theirs done (grievance/jobs.py, ROUTE_BATCH).
3. Files 2,000 more while the 2 workers run: p99 filing-to-routed latency.
Rates come from RQ's and the database's own timestamps, so worker start-up is not counted.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.scratch import ready_app, scratch_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def workers(
    env: dict[str, str], count: int = 2, burst: bool = True, queue: str | None = None
) -> list[subprocess.Popen]:
    """``count`` `flask worker` processes, on every queue or on ``queue`` only."""
    args = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker", *(["--burst"] if burst else [])]
    args += ["--queue", queue] if queue else []
    return [
        subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


def floor(env: dict[str, str], jobs: int) -> float:
    from benchmarks.noop import noop

    redis = Redis.from_url(REDIS_URL)
    queue = Queue("default", connection=redis)
    enqueued = [queue.enqueue(noop, result_ttl=600) for _ in range(jobs)]
    for process in workers(env, queue="default"):
        process.wait(timeout=600)
    for job in enqueued:
        job.refresh()
    first = min(job.started_at for job in enqueued)
    last = max(job.ended_at for job in enqueued)
    return jobs / (last - first).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--concurrent", type=int, default=2_000)
    args = parser.parse_args()

    Redis.from_url(REDIS_URL).flushdb()
    try:
        with scratch_database("grievance_bench") as database_url:
            env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
            run(database_url, env, args)
    finally:
        Redis.from_url(REDIS_URL).flushdb()


def run(database_url: str, env: dict[str, str], args: argparse.Namespace) -> None:
    from foundation.db import db_session
    from grievance.intake import Filing, file_grievance
    from grievance.models import Category, Channel, Grievance, Status, as_utc
    from registry.demo import generate_demo_data
    from registry.models import Citizen, Programme

    app = ready_app(database_url, REDIS_URL)
    with app.app_context():
        session = db_session()
        generate_demo_data(session, 5_000, seed=9)
        citizens = session.execute(select(Citizen.id, Citizen.mobile).where(Citizen.mobile.is_not(None))).all()
        programmes = list(session.scalars(select(Programme.code)))

        rate_floor = floor(env, 10_000)
        print(f"floor: RQ no-op jobs, 2 workers          {rate_floor:8,.0f} jobs/s")

        rng = random.Random(1)

        def file_some(count: int, offset: int) -> float:
            started = time.perf_counter()
            for n in range(count):
                citizen_id, mobile = citizens[n % len(citizens)] if n % 2 else (None, f"+88019{offset + n:08d}")
                file_grievance(
                    session,
                    Filing(
                        phone=mobile,
                        category=rng.choice(list(Category)),
                        programme_code=rng.choice(programmes),
                        text=None,
                        channel=Channel.USSD,
                        locale="bn",
                        citizen_id=citizen_id,
                    ),
                )
            return count / (time.perf_counter() - started)

        filing_rate = file_some(args.complaints, 0)
        print(f"filed {args.complaints:,} complaints (no worker running)  {filing_rate:8,.0f} filings/s")
        for process in workers(env, queue="default"):  # the SMS queue has its own workers (sms_bench)
            process.wait(timeout=1200)
        session.expire_all()
        routed = session.execute(
            select(func.count(), func.min(Grievance.routed_at), func.max(Grievance.routed_at)).where(
                Grievance.status == Status.ROUTED
            )
        ).one()
        # A registered caller may repeat a category and programme: that filing is a duplicate.
        filed = session.scalar(select(func.count()).select_from(Grievance))
        assert routed[0] == filed, f"only {routed[0]} of {filed} routed"
        rate = routed[0] / (as_utc(routed[2]) - as_utc(routed[1])).total_seconds()
        print(
            f"routing drained by 2 workers             {rate:8,.0f} complaints/s = "
            f"{100 * rate / rate_floor:.0f}% of the floor (target >= 50%)"
        )

        running = workers(env, burst=False, queue="default")
        try:
            time.sleep(3)  # let them start
            concurrent_started = time.time()
            file_some(args.concurrent, args.complaints)
            waiting = select(func.count()).select_from(Grievance).where(Grievance.status == Status.RECEIVED)
            while session.scalar(waiting) and time.time() < concurrent_started + 300:
                time.sleep(0.5)
                session.expire_all()
        finally:
            stop(running)
        latencies = sorted(
            (as_utc(r) - as_utc(c)).total_seconds()
            for c, r in session.execute(
                select(Grievance.created_at, Grievance.routed_at).order_by(Grievance.id.desc()).limit(args.concurrent)
            )
        )
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(
            f"filing-to-routed with workers running ({args.concurrent:,}): "
            f"p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
