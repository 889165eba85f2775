"""Staff workspace pages with 100,000 complaints and 1,000,000 citizens on PostgreSQL.

    .venv/bin/python benchmarks/staff_bench.py [--citizens 1000000] [--complaints 100000]

Creates a scratch PostgreSQL database (dropped at the end), fills it with set-based SQL
(citizens spread over every upazila, enrolments, three payment cycles, complaints over six
months in every status) and times each page inside the server (the Flask app, a real
database, no network client): the queue, a case page and each dashboard, signed in as the
role that sees it. Prints the first (cold) time and the median of 20, beside a bare Flask
"hello" measured the same way. Target: each under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.scratch import ready_app, scratch_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "benchmark passphrase"

SEED = [
    # one household per citizen keeps the generator simple; the pages never read households
    "INSERT INTO households (external_id, size, monthly_income_bdt, land_decimal) "
    "SELECT 'B' || n, 1 + n % 7, 3000 + n % 9000, n % 50 FROM generate_series(1, :citizens) n",
    "INSERT INTO citizens (nid, name_en, name_bn, date_of_birth, gender, mobile, district_id, upazila_id, "
    "household_id, disability, marital_status, language) "
    "SELECT (1940000000000 + h.id)::text, 'Person ' || h.id, 'ব্যক্তি', DATE '1940-01-01' + (h.id % 20000), "
    "CASE WHEN h.id % 2 = 0 THEN 'F' ELSE 'M' END, '+88017' || lpad(h.id::text, 8, '0'), u.district_id, u.id, "
    "h.id, h.id % 40 = 0, 'married', 'bn' "
    "FROM households h JOIN (SELECT id, district_id, row_number() OVER (ORDER BY id) - 1 AS k FROM upazilas) u "
    "ON u.k = h.id % (SELECT count(*) FROM upazilas)",
    "INSERT INTO enrolments (citizen_id, programme_code, status, enrolled_on, payment_channel) "
    "SELECT id, (ARRAY['OAA','WDA','PDA','FFP','EGPP'])[1 + id % 5], 'active', DATE '2024-01-01', "
    "(ARRAY['bkash','nagad','rocket','post_office','bank'])[1 + id % 5] FROM citizens WHERE id % 10 < 4",
    "INSERT INTO payments (citizen_id, programme_code, cycle, amount_bdt, status, paid_on, channel, txn_id, "
    "failure_reason) "
    "SELECT e.citizen_id, e.programme_code, c.cycle, 600, "
    "CASE WHEN (e.id + c.k) % 20 = 0 THEN 'failed' WHEN (e.id + c.k) % 33 = 0 THEN 'returned' ELSE 'credited' END, "
    "DATE '2026-01-10', e.payment_channel, 'T' || e.id || '-' || c.k, "
    "CASE WHEN (e.id + c.k) % 20 = 0 OR (e.id + c.k) % 33 = 0 THEN 'account closed' END "
    "FROM enrolments e CROSS JOIN (VALUES (1, '2026-08'), (2, '2026-09'), (3, '2026-10')) AS c(k, cycle) "
    "WHERE e.programme_code <> 'FFP'",
    "INSERT INTO grievances (tracking_number, citizen_id, phone_hash, contact_phone, programme_code, category, "
    "text, channel, locale, district_id, upazila_id, status, tier, ministry_code, office_level, cluster_code, "
    "routed_at, due_at, created_at, updated_at) "
    "SELECT (100000000 + n)::text, c.id, md5(c.mobile), c.mobile, p.code, "
    "(ARRAY['payment_not_received','amount_short','excluded','etoken_refused','dealer_misconduct','wrong_data',"
    "'other'])[1 + n % 7], NULL, 'ussd', 'bn', c.district_id, c.upazila_id, "
    "(ARRAY['routed','routed','routed','acknowledged','acknowledged','in_progress','resolved','resolved',"
    "'closed','rejected'])[1 + n % 10], 1 + (n % 17 = 0)::int, p.lead_ministry_code, 'upazila', p.cluster_code, "
    "t.at, t.at + interval '42 days', t.at, t.at "
    "FROM generate_series(1, :complaints) n "
    "JOIN citizens c ON c.id = 1 + (n * 7919) % :citizens "
    "JOIN programmes p ON p.code = (ARRAY['OAA','WDA','PDA','FFP','EGPP','VGF','MCBP'])[1 + n % 7] "
    "CROSS JOIN LATERAL (SELECT now() - ((n % 180) || ' days')::interval AS at) t",
    "INSERT INTO grievance_events (grievance_id, at, actor, from_status, to_status, note) "
    "SELECT id, created_at + ((id % 50) || ' days')::interval, 'staff', 'acknowledged', 'resolved', 'done' "
    "FROM grievances WHERE status IN ('resolved', 'closed')",
    "UPDATE grievances SET first_resolved_at = created_at + ((id % 50) || ' days')::interval, "
    "resolution_working_days = (id % 50) * 5 / 7 "
    "WHERE status IN ('resolved', 'closed')",
    "ANALYZE",
]


def timed(client, path: str, runs: int = 20) -> tuple[float, float]:
    """(first, median of ``runs``) server time in ms of GET ``path``."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times[0], statistics.median(times[1:])


def sign_in(app: Flask, email: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_database("staff_bench") as database_url:
        run(database_url, args)


def run(database_url: str, args: argparse.Namespace) -> None:
    from foundation.db import db_session
    from staff.auth import hash_password
    from staff.models import Role, StaffUser

    app = ready_app(database_url, REDIS_URL)
    with app.app_context():
        session = db_session()
        started = time.perf_counter()
        for statement in SEED:
            session.execute(text(statement), {"citizens": args.citizens, "complaints": args.complaints})
            session.commit()
        counts = session.execute(
            text(
                "SELECT (SELECT count(*) FROM citizens), (SELECT count(*) FROM grievances), "
                "(SELECT count(*) FROM payments), (SELECT count(*) FROM enrolments)"
            )
        ).one()
        print(
            f"seeded {counts[0]:,} citizens, {counts[1]:,} complaints, {counts[2]:,} payments, "
            f"{counts[3]:,} enrolments in {time.perf_counter() - started:.0f} s"
        )
        password_hash = hash_password(PASSWORD)
        scopes = {
            "officer": {"role": Role.OFFICER, "ministry_code": "MOSW"},
            "coordinator": {"role": Role.COORDINATOR, "cluster_code": "SA"},
            "monitoring": {"role": Role.MONITORING},
        }
        users = {
            name: StaffUser(
                email=f"{name}@bench",
                name=name.title(),
                password_hash=password_hash,
                district_ids=[],
                language="en",
                **scope,
            )
            for name, scope in scopes.items()
        }
        session.add_all(users.values())
        session.commit()
        case_number = session.scalar(
            text(
                "SELECT tracking_number FROM grievances WHERE ministry_code = 'MOSW' AND tier = 1 "
                "AND category <> 'bribe_or_harassment' ORDER BY id DESC LIMIT 1"
            )
        )

    bare = Flask("bare")
    bare.get("/")(lambda: "hello")
    first, median = timed(bare.test_client(), "/")
    print(f"{'bare Flask hello':44} first {first:7.1f} ms   median {median:7.1f} ms")
    officer, coordinator, monitoring = (sign_in(app, f"{role}@bench") for role in users)
    pages = [
        ("queue, officer (MOSW, open cases)", officer, "/staff/"),
        ("queue, officer, filtered: overdue, page 3", officer, "/staff/?sla=overdue&page=3"),
        ("case page", officer, f"/staff/cases/{case_number}"),
        ("dashboard: ministry (officer, MOSW)", officer, "/staff/dashboard"),
        ("dashboard: cluster (coordinator, SA)", coordinator, "/staff/dashboard"),
        ("dashboard: everything (monitoring)", monitoring, "/staff/dashboard"),
        ("open data CSV", officer, "/open-data/grievances.csv"),
    ]
    for label, client, path in pages:
        first, median = timed(client, path)
        verdict = "ok" if median < 200 else "OVER 200 ms"
        print(f"{label:44} first {first:7.1f} ms   median {median:7.1f} ms   {verdict}")


if __name__ == "__main__":
    main()
