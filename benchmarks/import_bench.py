"""Import 200,000 generated citizens into PostgreSQL; compare with a plain COPY (the floor).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/import_bench.py

It creates a scratch database on that server (dropped at the end), generates the citizens
CSV with the demo generator, then in the same run measures:
  * COPY of the same CSV into a bare table of text columns (no validation, no indexes);
  * `registry import citizens` through the real pipeline (validation, households,
    upserts, vulnerability scores), as rows/s and as a share of the COPY rate (target 25%);
  * the demo's enrolments, payments and e-tokens for those citizens, as rows/s (their
    look-ups of earlier batches must stay by key as the tables grow);
  * the median time of one eligibility check (target under 2 ms): the rule evaluation
    alone, and loading a citizen by NID plus checking every programme.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from redis import Redis
from sqlalchemy import select
from sqlalchemy.engine import make_url

from benchmarks.scratch import ready_app, scratch_database
from foundation.db import db_session
from registry.demo import DEMO_AS_OF, DemoGenerator
from registry.eligibility.engine import (
    check,
    check_citizen,
    facts_for_citizen,
    load_citizen_for_check,
    rulebook,
)
from registry.imports.kinds import CitizensImport
from registry.imports.runner import run_import
from registry.models import Citizen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200_000)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()

    with scratch_database("import_bench") as database_url:
        run(database_url, args)


def run(database_url: str, args: argparse.Namespace) -> None:
    # A real Redis, so the imports' SMS alerts are queued for workers as in production rather
    # than delivered inline; the database is emptied afterwards.
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    Redis.from_url(redis_url).flushdb()
    try:
        measure(database_url, redis_url, args)
    finally:
        Redis.from_url(redis_url).flushdb()


def measure(database_url: str, redis_url: str, args: argparse.Namespace) -> None:
    app = ready_app(database_url, redis_url)
    with app.app_context(), tempfile.TemporaryDirectory() as folder:
        session = db_session()

        started = time.perf_counter()
        paths, _ = DemoGenerator(session, seed=42).write_files(args.citizens, Path(folder))
        csv_path = paths["citizens"]
        print(
            f"generated {args.citizens:,} citizens CSV ({csv_path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )

        copy_seconds, merge_seconds, unchecked_seconds = copy_baseline(database_url, csv_path)
        copy_rate = args.citizens / copy_seconds
        print(f"COPY into a bare table:      {copy_seconds:6.2f} s  {copy_rate:10,.0f} rows/s  (floor)")
        schema_rate = args.citizens / (copy_seconds + merge_seconds)
        print(
            f"COPY + INSERT…SELECT into the registry tables, no validation: {copy_seconds + merge_seconds:6.2f} s  "
            f"{schema_rate:10,.0f} rows/s  = {100 * schema_rate / copy_rate:.0f}% of COPY "
            "(what the schema's indexes and foreign keys cost any importer)"
        )
        unchecked_rate = args.citizens / (copy_seconds + unchecked_seconds)
        print(
            f"  the same without foreign-key checks or secondary indexes: {copy_seconds + unchecked_seconds:6.2f} s  "
            f"{unchecked_rate:10,.0f} rows/s  = {100 * unchecked_rate / copy_rate:.0f}% of COPY"
        )

        started = time.perf_counter()
        batch_size = app.config["SAHAYATA_IMPORT_BATCH_SIZE"]
        report = run_import(session, "citizens", csv_path, batch_size=batch_size)
        import_seconds = time.perf_counter() - started
        assert report.committed and report.rows_written == args.citizens, report.problems[:3]
        import_rate = args.citizens / import_seconds
        print(
            f"registry import citizens:    {import_seconds:6.2f} s  {import_rate:10,.0f} rows/s  "
            f"= {100 * import_rate / copy_rate:.0f}% of COPY (target >= 25%)"
        )

        started = time.perf_counter()
        report = run_import(session, "citizens", csv_path)
        print(f"same file again (no change): {time.perf_counter() - started:6.2f} s")

        # The other kinds look up what earlier batches wrote (a payment's status before the
        # file changes it): their rate shows whether those look-ups stay by key as the
        # tables grow. Their SMS alerts are queued in Redis, not delivered.
        for kind in ("enrolments", "payments", "etokens"):
            started = time.perf_counter()
            report = run_import(session, kind, paths[kind], batch_size=batch_size, today=DEMO_AS_OF)
            seconds = time.perf_counter() - started
            assert report.committed, report.problems[:3]
            print(
                f"registry import {kind + ':':12s}{seconds:6.2f} s  {report.rows_written / seconds:10,.0f} rows/s  "
                f"({report.rows_written:,} rows)"
            )

        eligibility(session, args.checks)


def copy_baseline(database_url: str, csv_path: Path) -> tuple[float, float, float]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = ", ".join(f"{column} text" for column in CitizensImport.columns)
    with psycopg.connect(dsn) as connection:
        connection.execute(f"CREATE TABLE copy_floor ({columns})")
        connection.commit()
        started = time.perf_counter()
        statement = "COPY copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)"
        with connection.cursor() as cursor, open(csv_path, "rb") as handle, cursor.copy(statement) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        seconds = time.perf_counter() - started
        connection.execute("ANALYZE copy_floor")
        started = time.perf_counter()
        connection.execute(SCHEMA_FLOOR_HOUSEHOLDS)
        connection.execute(SCHEMA_FLOOR_CITIZENS)
        connection.commit()
        merge_seconds = time.perf_counter() - started
        connection.execute("TRUNCATE citizens, households CASCADE")
        connection.commit()
        unchecked_seconds = unchecked_merge(connection)
        connection.execute("DROP TABLE copy_floor")
        connection.execute("TRUNCATE citizens, households CASCADE")
        connection.execute("ANALYZE citizens")
        connection.execute("ANALYZE households")
        connection.commit()
    return seconds, merge_seconds, unchecked_seconds


def unchecked_merge(connection: psycopg.Connection) -> float:
    """The schema floor's INSERT…SELECT with the foreign keys unchecked and only the primary
    and unique keys kept (an upsert needs those): what is left of the floor that no schema
    change short of dropping integrity could remove. Rolled back, DDL included."""
    connection.execute("DROP INDEX ix_citizens_mobile_id, ix_citizens_household_id")
    connection.execute("SET LOCAL session_replication_role = replica")  # skips FK triggers (superuser)
    started = time.perf_counter()
    connection.execute(SCHEMA_FLOOR_HOUSEHOLDS)
    connection.execute(SCHEMA_FLOOR_CITIZENS)
    seconds = time.perf_counter() - started
    connection.rollback()
    return seconds


# The least any importer must do with valid rows: cast and resolve them set-wise inside
# PostgreSQL (no checks, no upsert, no scores) and pay for the target tables' indexes and
# foreign keys. The demo CSV gives districts by name and upazilas by code.
SCHEMA_FLOOR_HOUSEHOLDS = """
INSERT INTO households (external_id, size, monthly_income_bdt, land_decimal)
SELECT DISTINCT ON (household_id) household_id, household_size::int, monthly_income_bdt::numeric,
       land_decimal::numeric
FROM copy_floor"""
SCHEMA_FLOOR_CITIZENS = """
INSERT INTO citizens (nid, name_en, name_bn, date_of_birth, gender, mobile, district_id, upazila_id,
                      household_id, disability, marital_status, language)
SELECT f.nid, f.name_en, f.name_bn, f.date_of_birth::date, f.gender, NULLIF('+88' || f.mobile, '+88'), d.id,
       f.upazila::int, h.id, f.disability = '1', f.marital_status, f.language
FROM copy_floor f
JOIN districts d ON lower(d.name_en) = lower(f.district)
JOIN households h ON h.external_id = f.household_id"""


def eligibility(session, checks: int) -> None:
    nids = list(session.scalars(select(Citizen.nid)))
    rng = random.Random(1)
    sample = [rng.choice(nids) for _ in range(checks)]
    book = rulebook(session)
    citizens = [load_citizen_for_check(session, nid) for nid in sample[:200]]
    facts = [facts_for_citizen(citizen, citizen.date_of_birth.replace(year=2026)) for citizen in citizens]

    one_rule = []
    for i in range(checks):
        started = time.perf_counter()
        check(facts[i % len(facts)], "OAA", book)
        one_rule.append(time.perf_counter() - started)
    print(f"eligibility, one programme (rules in memory):     median {statistics.median(one_rule) * 1e3:.3f} ms")

    full = []
    for nid in sample:
        session.expunge_all()
        started = time.perf_counter()
        citizen = load_citizen_for_check(session, nid)
        check_citizen(session, citizen)
        full.append(time.perf_counter() - started)
    print(
        f"eligibility, load by NID + all {len(book.rules)} programmes:    "
        f"median {statistics.median(full) * 1e3:.3f} ms  p99 {sorted(full)[int(len(full) * 0.99)] * 1e3:.3f} ms "
        "(target < 2 ms)"
    )


if __name__ == "__main__":
    main()
