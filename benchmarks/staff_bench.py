"""Staff workspace pages at national scale on PostgreSQL: cold and warm, beside bare Flask.

    .venv/bin/python benchmarks/staff_bench.py                       # 5,000,000 citizens, 1,000,000 complaints
    .venv/bin/python benchmarks/staff_bench.py --citizens 200000 --complaints 20000 --runs 50
    .venv/bin/python benchmarks/staff_bench.py --citizens 1000000,5000000 --complaints 100000,1000000

Each size gets a scratch PostgreSQL database (dropped at the end), filled inside PostgreSQL by
set-based SQL (citizens over every upazila, enrolments, three payment cycles, confirmations
asked for one payment in ten, a dealer per 2,000 citizens and one rice hand-over per Food
Friendly beneficiary, complaints over six months in every status). Then the scheduler's jobs
run once, as a deployment's would have before anyone looks (the dashboards' figures, the
finished months of open data, the Signals page's items), and their times are printed: they are what grows with the rows.

Each page is then requested, signed in as the role that sees it:
- cold: the first request of a freshly started process (a new Python process: no pooled
  connection, empty caches, templates not yet compiled), carrying the cookie of a session
  signed in beforehand, as a user's first click after a restart does; ``--cold-runs``
  processes (default 5) per page, the median printed (and the slowest);
- warm: ``--runs`` requests (default 50) in a process that has served the page once; p50 and p95.
Bare Flask's "hello" is measured the same two ways. Times are inside the server (the Flask
app on a real database through Werkzeug's test client, no network). Targets: every page's
warm p95 under 150 ms, each dashboard cold under 300 ms. With two sizes the last table
compares each page's cold time: it must not grow in step with the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.scratch import ready_app, scratch_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "benchmark passphrase"
WARM_TARGET_MS, COLD_DASHBOARD_TARGET_MS = 150, 300

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
    # "Did you receive it?" asked for one credited payment in ten, as SAHAYATA_CONFIRM_SHARE's default
    "INSERT INTO payment_confirmations (payment_id, asked_at, received, answered_at) "
    "SELECT id, now() - interval '20 days', CASE WHEN id % 30 = 0 THEN false WHEN id % 7 = 0 THEN NULL ELSE true END, "
    "CASE WHEN id % 7 <> 0 OR id % 30 = 0 THEN now() - interval '19 days' END "
    "FROM payments WHERE status = 'credited' AND id % 10 = 0",
    "INSERT INTO outlets (code, name_en, name_bn, kind, district_id, upazila_id, operator_mobile) "
    "SELECT 'D' || o, 'Dealer ' || o, 'ডিলার ' || o, 'food_dealer', u.district_id, u.id, "
    "'+88019' || lpad(o::text, 8, '0') "
    "FROM generate_series(1, greatest(1, :citizens / 2000)) o "
    "JOIN (SELECT id, district_id, row_number() OVER (ORDER BY id) - 1 AS k FROM upazilas) u "
    "ON u.k = o % (SELECT count(*) FROM upazilas)",
    "INSERT INTO outlet_programmes (outlet_id, programme_code) SELECT id, 'FFP' FROM outlets",
    "INSERT INTO etoken_wallets (citizen_id, programme_code, unit, balance) "
    "SELECT citizen_id, 'FFP', 'kg rice', 0 FROM enrolments WHERE programme_code = 'FFP'",
    "INSERT INTO redemptions (outlet_id, wallet_id, citizen_id, programme_code, quantity, unit, operator_mobile, "
    "channel, status, code_hash, code_expires_at, wrong_codes, started_at, finished_at) "
    "SELECT 1 + w.id % (SELECT count(*) FROM outlets), w.id, w.citizen_id, 'FFP', 30, 'kg rice', '+8801900000000', "
    "'api', CASE WHEN w.id % 40 = 0 THEN 'cancelled' ELSE 'completed' END, 'x', t.at, "
    "CASE WHEN w.id % 40 = 0 THEN 3 ELSE 0 END, t.at, t.at + interval '1 minute' "
    "FROM etoken_wallets w CROSS JOIN LATERAL (SELECT now() - ((w.id * 97 % 2000000) || ' seconds')::interval AS at) t",
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
    "JOIN citizens c ON c.id = 1 + (n::bigint * 7919) % :citizens "
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


def sign_in(app: Flask, email: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


@dataclass
class Page:
    label: str
    role: str  # whose session requests it; "" for bare Flask
    path: str
    dashboard: bool = False
    colds: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)

    @property
    def cold(self) -> float:
        return statistics.median(self.colds)

    def p(self, share: float) -> float:
        ordered = sorted(self.warm)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def verdict(self) -> str:
        problems = []
        if self.role and self.p(0.95) >= WARM_TARGET_MS:
            problems.append(f"warm p95 over {WARM_TARGET_MS} ms")
        if self.dashboard and self.cold >= COLD_DASHBOARD_TARGET_MS:
            problems.append(f"cold over {COLD_DASHBOARD_TARGET_MS} ms")
        return "; ".join(problems).upper() or "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", default="5000000", help="comma-separated for several sizes")
    parser.add_argument("--complaints", default="1000000", help="as many as --citizens")
    parser.add_argument("--runs", type=int, default=50, help="warm requests per page")
    parser.add_argument("--cold-runs", type=int, default=5, help="new processes per page for its cold request")
    parser.add_argument("--cold", help=argparse.SUPPRESS)  # internal: one cold request, in a child process
    args = parser.parse_args()
    if args.cold:
        cold_child(json.loads(args.cold))
        return
    sizes = list(zip(_numbers(args.citizens), _numbers(args.complaints), strict=True))
    results = []
    for citizens, complaints in sizes:
        with scratch_database("staff_bench") as database_url:
            results.append((citizens, complaints, run(database_url, citizens, complaints, args.runs, args.cold_runs)))
    if len(results) > 1:
        compare(results)


def _numbers(text_: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text_.split(",") if part.strip()]


def run(database_url: str, citizens: int, complaints: int, runs: int, cold_runs: int) -> list[Page]:
    from foundation.db import db_session
    from grievance.tracking import check_digit
    from staff import aggregates, signal_store
    from staff.auth import hash_password
    from staff.dashboards import ACTIVITY, PARTS, REGISTRY
    from staff.models import Role, StaffUser
    from staff.opendata.publish import publish_finished_months

    app = ready_app(database_url, REDIS_URL)
    with app.app_context():
        session = db_session()
        started = time.perf_counter()
        for statement in SEED:
            session.execute(text(statement), {"citizens": citizens, "complaints": complaints})
            session.commit()
        counts = session.execute(
            text(
                "SELECT (SELECT count(*) FROM citizens), (SELECT count(*) FROM grievances), "
                "(SELECT count(*) FROM payments), (SELECT count(*) FROM enrolments), "
                "(SELECT count(*) FROM redemptions), (SELECT count(*) FROM payment_confirmations)"
            )
        ).one()
        print(
            f"\nseeded {counts[0]:,} citizens, {counts[1]:,} complaints, {counts[2]:,} payments, "
            f"{counts[3]:,} enrolments, {counts[4]:,} redemptions, {counts[5]:,} confirmations asked "
            f"in {time.perf_counter() - started:.0f} s"
        )
        took = {}
        for part in PARTS:
            started = time.perf_counter()
            aggregates.refresh(session, parts=(part,))
            took[part] = time.perf_counter() - started
        started = time.perf_counter()
        publish_finished_months(session)
        took["open data"] = time.perf_counter() - started
        started = time.perf_counter()
        signal_store.refresh(session)
        took["signals"] = time.perf_counter() - started
        items = session.scalar(text("SELECT sum(count) FROM signal_runs"))
        print(
            f"jobs, once, as before anyone looks: the dashboards' activity part for every scope "
            f"{took[ACTIVITY]:.2f} s (every {aggregates.REFRESH_SECONDS} s), their registry part "
            f"{took[REGISTRY]:.2f} s (after each import), open data's finished months {took['open data']:.2f} s "
            f"(once a month), the Signals page's {items:,} items {took['signals']:.2f} s "
            f"(every {signal_store.REFRESH_SECONDS} s and after each import)"
        )
        deep = max(1, session.scalar(text("SELECT count FROM signal_runs WHERE signal = 'targeting_people'")) // 40)
        password_hash = hash_password(PASSWORD)
        scopes = {
            "officer": {"role": Role.OFFICER, "ministry_code": "MOSW"},
            "coordinator": {"role": Role.COORDINATOR, "cluster_code": "SA"},
            "monitoring": {"role": Role.MONITORING},
        }
        session.add_all(
            StaffUser(
                email=f"{name}@bench",
                name=name.title(),
                password_hash=password_hash,
                district_ids=[],
                language="bn",
                **scope,
            )
            for name, scope in scopes.items()
        )
        session.commit()
        case_id, nid, mobile, name = session.execute(
            text(
                "SELECT g.id, c.nid, c.mobile, c.name_en FROM grievances g JOIN citizens c "
                "ON c.id = g.citizen_id WHERE g.ministry_code = 'MOSW' AND g.tier = 1 "
                "AND g.category <> 'bribe_or_harassment' ORDER BY g.id DESC LIMIT 1"
            )
        ).one()
        # The seeded numbers carry no check digit; the case page refuses a number without one.
        base = f"9{case_id:07d}"
        number = base + check_digit(base)
        session.execute(text("UPDATE grievances SET tracking_number = :n WHERE id = :id"), {"n": number, "id": case_id})
        session.commit()

    pages = [
        Page("bare Flask hello", "", "/"),
        Page("search: tracking number", "officer", f"/staff/?q={number}"),
        Page("search: NID", "officer", f"/staff/?q={nid}"),
        Page("search: phone", "officer", f"/staff/?q={mobile}"),
        Page("search: name", "officer", f"/staff/?q={name.replace(' ', '+')}"),
        Page("queue, officer (MOSW, open cases)", "officer", "/staff/"),
        Page("queue, officer: overdue, page 3", "officer", "/staff/?sla=overdue&page=3"),
        Page("case page", "officer", f"/staff/cases/{number}"),
        Page("dashboard: ministry (officer, MOSW)", "officer", "/staff/dashboard", dashboard=True),
        Page("dashboard: cluster (coordinator, SA)", "coordinator", "/staff/dashboard", dashboard=True),
        Page("dashboard: everything (monitoring)", "monitoring", "/staff/dashboard", dashboard=True),
        Page("signals (monitoring)", "monitoring", "/staff/signals"),
        Page("signals (coordinator, SA)", "coordinator", "/staff/signals"),
        Page(
            "signals: targeting drill-down, half-way",
            "monitoring",
            f"/staff/signals?signal=targeting_people&page={deep}",
        ),
        Page("open data: complaints CSV", "", "/open-data/grievances.csv"),
        Page("open data: signals CSV", "", "/open-data/signals.csv"),
    ]
    bare = Flask("bare")
    bare.get("/")(lambda: "hello")
    clients = {role: sign_in(app, f"{role}@bench") for role in scopes}
    for page in pages:
        bare_page = page.label.startswith("bare")
        client = bare.test_client() if bare_page else clients.get(page.role) or app.test_client()
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]) if page.role else None
        page.colds = [
            cold(database_url, page.path, cookie.value if cookie else None, bare_page) for _ in range(cold_runs)
        ]
        assert client.get(page.path).status_code == 200, page.path  # this process's first: not counted
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(page.path)
            page.warm.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (page.path, response.status_code)
    print(f"{'page (ms)':40} {'cold':>7} {'slowest':>8} {'warm p50':>9} {'warm p95':>9}   verdict")
    for page in pages:
        print(
            f"{page.label:40} {page.cold:7.1f} {max(page.colds):8.1f} {page.p(0.5):9.1f} {page.p(0.95):9.1f}"
            f"   {page.verdict}"
        )
    return pages


def cold(database_url: str, path: str, cookie: str | None, bare: bool) -> float:
    """The first request of a new process, in ms (the process's start-up is not counted)."""
    job = {"database_url": database_url, "path": path, "cookie": cookie, "bare": bare}
    done = subprocess.run(
        [sys.executable, __file__, "--cold", json.dumps(job)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold request of {path} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cold_child(job: dict) -> None:
    if job["bare"]:
        app = Flask("bare")
        app.get("/")(lambda: "hello")
    else:
        from sahayata.app import create_app

        app = create_app({"DATABASE_URL": job["database_url"], "REDIS_URL": REDIS_URL})
    client = app.test_client()
    if job["cookie"]:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], job["cookie"])
    started = time.perf_counter()
    response = client.get(job["path"])
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{job['path']}: {response.status_code}")
    print(f"{took:.3f}")


def compare(results: list[tuple[int, int, list[Page]]]) -> None:
    (small_c, small_g, small), (large_c, large_g, large) = results[0], results[-1]
    print(
        f"\ncold ms from {small_c:,} citizens / {small_g:,} complaints to {large_c:,} / {large_g:,} "
        f"(rows x{large_c / small_c:.1f})"
    )
    for before, after in zip(small, large, strict=True):
        ratio = after.cold / before.cold if before.cold else float("nan")
        print(f"{before.label:40} {before.cold:9.1f} {after.cold:9.1f}   x{ratio:.2f}")
    print(f"median cold ratio x{statistics.median(a.cold / b.cold for b, a in zip(small, large, strict=True)):.2f}")


if __name__ == "__main__":
    main()
