"""Time `signals report` at two sizes of the registry on PostgreSQL; the time must grow no
faster than the rows (the larger over the smaller, per row doubled, at most 2.2).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/signals_bench.py
    ... benchmarks/signals_bench.py --payments 1000000 --payments 2000000   (the default)
    ... benchmarks/signals_bench.py --payments 100000 --payments 200000 --explain targeting_people

It prints each signal's wall time and CPU time (this process and its PostgreSQL backend),
and the ratio of both between the sizes.

Each size gets its own scratch database (dropped at the end). The rows are generated inside
PostgreSQL by INSERT ... SELECT over generate_series: nothing crosses the wire, which is
faster still than COPY for data that is a pure function of a row number. Per payment: a
quarter of a citizen (four cycles each), half a household per citizen, one enrolment per
citizen with one account in 50 shared by four households, a confirmation asked for one
payment in ten (a third denied), a redemption per ten payments at one of N/2000 outlets,
some at night and some for people of another upazila.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.scratch import ready_app, scratch_database
from foundation.db import db_session
from monitoring.report import REPORT_WORK_MEM, write_report
from monitoring.signals import SIGNALS, Settings, rows
from registry.demo import DEMO_AS_OF

GENERATE = """
CREATE TEMP TABLE places AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, id AS upazila_id, district_id FROM upazilas;
INSERT INTO households (id, external_id, size, monthly_income_bdt, land_decimal, vulnerability_score,
                        vulnerability_breakdown)
  SELECT h, 'B' || h, 1 + h % 7, (h * 37) % 20000, (h * 13) % 120, (h * 7) % 100, '{}'
  FROM generate_series(1, :households) AS h;
INSERT INTO citizens (id, nid, name_en, name_bn, date_of_birth, gender, mobile, district_id, upazila_id,
                      household_id, disability, marital_status, language)
  SELECT c, (5000000000 + c)::text, 'Person ' || (c % 5000), 'ব্যক্তি ' || (c % 5000),
         DATE '1940-01-01' + (c * 17) % 25000, (ARRAY['M','F'])[1 + c % 2],
         '+88017' || lpad(c::text, 8, '0'), p.district_id, p.upazila_id, 1 + (c - 1) / 2, c % 23 = 0,
         (ARRAY['married','widowed','never_married','divorced'])[1 + c % 4], 'bn'
  FROM generate_series(1, :citizens) AS c JOIN places p ON p.n = c % (SELECT count(*) FROM places);
INSERT INTO enrolments (citizen_id, programme_code, status, enrolled_on, payment_channel, account_number)
  SELECT c, (ARRAY['OAA','WDA','PDA','FFP'])[1 + c % 4], 'active', DATE '2024-01-01', 'nagad',
         CASE WHEN c % 50 < 8 THEN '0190' || lpad((c / 400)::text, 7, '0') ELSE '0171' || lpad(c::text, 7, '0') END
  FROM generate_series(1, :citizens) AS c;
INSERT INTO payments (id, citizen_id, programme_code, cycle, amount_bdt, status, paid_on, channel, txn_id)
  SELECT p, e.citizen_id, e.programme_code, '2026-0' || (1 + p % 4), 600, 'credited', DATE '2026-06-12',
         (ARRAY['nagad','bkash','rocket'])[1 + p % 3], 'T' || p
  FROM generate_series(1, :payments) AS p JOIN enrolments e ON e.citizen_id = 1 + (p - 1) / 4;
INSERT INTO payment_confirmations (payment_id, asked_at, received)
  SELECT id, TIMESTAMPTZ '2026-06-13 04:00+00', CASE WHEN id % 30 = 0 THEN false WHEN id % 7 = 0 THEN NULL ELSE true END
  FROM payments WHERE id % 10 = 0;
INSERT INTO outlets (id, code, name_en, name_bn, kind, district_id, upazila_id, operator_mobile)
  SELECT o, 'B' || o, 'Dealer ' || o, 'ডিলার', 'food_dealer', p.district_id, p.upazila_id,
         '+88019' || lpad(o::text, 8, '0')
  FROM generate_series(1, :outlets) AS o JOIN places p ON p.n = o % (SELECT count(*) FROM places);
INSERT INTO etoken_wallets (id, citizen_id, programme_code, unit, balance)
  SELECT w, w, 'FFP', 'kg rice', 0 FROM generate_series(1, :redemptions) AS w;
INSERT INTO redemptions (outlet_id, wallet_id, citizen_id, programme_code, quantity, unit, operator_mobile, channel,
                         status, code_hash, code_expires_at, wrong_codes, started_at, finished_at)
  SELECT 1 + r % :outlets, r, r, 'FFP', 30, 'kg rice', '+8801900000000', 'api',
         (CASE WHEN r % 40 = 0 THEN 'cancelled' ELSE 'completed' END), 'x',
         TIMESTAMPTZ '2026-06-01 00:00+00' + (r * 97 % 2000000) * INTERVAL '1 second',
         CASE WHEN r % 40 = 0 THEN 3 ELSE 0 END,
         TIMESTAMPTZ '2026-06-01 00:00+00' + (r * 97 % 2000000) * INTERVAL '1 second',
         TIMESTAMPTZ '2026-06-01 00:01+00' + (r * 97 % 2000000) * INTERVAL '1 second'
  FROM generate_series(1, :redemptions) AS r;
"""


def generate(payments: int) -> dict[str, int]:
    citizens = payments // 4
    sizes = {
        "payments": payments,
        "citizens": citizens,
        "households": (citizens + 1) // 2,
        "outlets": max(1, payments // 2000),
        "redemptions": min(citizens, payments // 10),
    }
    session = db_session()
    for statement in filter(str.strip, GENERATE.split(";\n")):
        session.execute(text(statement), {k: v for k, v in sizes.items() if f":{k}" in statement})
    session.commit()
    return sizes


@dataclass(frozen=True)
class Clock:
    """Wall time, and the CPU time of this process and of its PostgreSQL backend: on a
    machine others share, the wall time of the same work varies several fold from minute to
    minute while the CPU it takes does not. The backend's CPU is read from /proc, so it is
    known only when the server runs on this machine (None otherwise); it is all the query's
    CPU because the benchmark's connections run without parallel workers."""

    wall: float
    cpu: float | None

    @classmethod
    def now(cls) -> Clock:
        backend = _backend_cpu()
        return cls(time.perf_counter(), None if backend is None else backend + time.process_time())

    def since(self, start: Clock) -> Clock:
        cpu = None if self.cpu is None or start.cpu is None else self.cpu - start.cpu
        return Clock(self.wall - start.wall, cpu)

    def __str__(self) -> str:
        return f"{self.wall:.2f} s" + ("" if self.cpu is None else f" (CPU {self.cpu:.2f} s)")


def _backend_cpu() -> float | None:
    pid = db_session().scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def serial(database_url: str) -> str:
    """The URL with every connection's queries run without parallel workers."""
    url = make_url(database_url)
    return url.update_query_dict({"options": "-c max_parallel_workers_per_gather=0"}).render_as_string(
        hide_password=False
    )


def vacuum(database_url: str) -> None:
    """VACUUM ANALYZE, as autovacuum leaves a registry after an import: statistics, and the
    visibility map and hint bits, which the first reader of fresh rows would otherwise set."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def explain(name: str) -> None:
    """Print the plan of one signal under the report's settings (its work_mem, JIT off), with
    ``EXPLAIN (ANALYZE, BUFFERS)``: which node sorts or hashes to disk at this size.

    Close to, not the same as, the report's plan: the report streams through a server-side
    cursor (planned for its first 10% of rows, cursor_tuple_fraction) with bound parameters,
    where this plans the whole result with the values written in."""
    session = db_session()
    session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    session.execute(text("SET LOCAL jit = off"))
    query = SIGNALS[name].query(session, Settings(as_of=DEMO_AS_OF))
    sql = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    for (line,) in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")):
        print(f"      {line}")
    session.rollback()


def time_report(payments: int, parallel: bool, explaining: list[str]) -> Clock:
    with scratch_database("signals_bench") as database_url:
        url = database_url if parallel else serial(database_url)
        app = ready_app(url, None)
        with app.app_context():
            started = time.perf_counter()
            sizes = generate(payments)
            vacuum(url)
            print(f"generated {sizes} in {time.perf_counter() - started:.1f} s", flush=True)
            for name in explaining:
                print(f"    plan of {name}:")
                explain(name)
            with tempfile.TemporaryDirectory() as folder:
                start = Clock.now()
                written = write_report(db_session(), Path(folder), Settings(as_of=DEMO_AS_OF))
                elapsed = Clock.now().since(start)
                for name in written:  # each signal alone, to see which one grows
                    start = Clock.now()
                    _, stream = rows(db_session(), name, Settings(as_of=DEMO_AS_OF))
                    sum(1 for _ in stream)
                    db_session().commit()
                    print(f"    {name}: {Clock.now().since(start)}", flush=True)
            print(f"  signals report at {payments:,} payments: {elapsed}; rows {written}", flush=True)
            db_session().close()
            return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, action="append", help="a size (twice: the smaller, then the larger)")
    parser.add_argument("--parallel", action="store_true", help="let PostgreSQL use parallel workers (no CPU figure)")
    parser.add_argument(
        "--explain", action="append", default=[], choices=list(SIGNALS), help="print this signal's plan at each size"
    )
    args = parser.parse_args()
    small, large = args.payments or (1_000_000, 2_000_000)
    first, second = time_report(small, args.parallel, args.explain), time_report(large, args.parallel, args.explain)
    target = 2.2 * large / small / 2
    print(f"signals report: {first} at {small:,}, {second} at {large:,} payments")
    print(f"time ratio {second.wall / first.wall:.2f} for {large / small:.1f}x the rows (target at most {target:.1f})")
    if first.cpu and second.cpu:
        print(f"CPU ratio {second.cpu / first.cpu:.2f}")


if __name__ == "__main__":
    main()
