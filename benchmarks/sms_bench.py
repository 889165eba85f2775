"""A national-scale SMS campaign: messages per second, 2 RQ workers, real Redis and PostgreSQL.

    .venv/bin/python benchmarks/sms_bench.py [--recipients 100000]

Creates a scratch PostgreSQL database (dropped at the end) and uses Redis database 13.
The provider is the console provider, which answers at once (one Redis LPUSH), so what is
measured is Sahayata, not a carrier.
1. Floor: RQ's own enqueue-and-run rate for no-op jobs, 2 `flask worker` processes running
   (the rate a one-job-per-message design could never beat).
2. The campaign, as `flask sms campaign` runs it (recipients read, messages created and
   queued in batches) with the 2 workers sending: from the start of the campaign until the
   last message is recorded as sent. Target: at least 2,000 messages/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from benchmarks.grievance_bench import stop, workers  # noqa: E402
from benchmarks.scratch import ready_app, scratch_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def enqueue_and_run_floor(jobs: int, env: dict[str, str]) -> float:
    """No-op jobs enqueued one by one while 2 workers run: first enqueue to last finish."""
    from benchmarks.noop import noop

    queue = Queue("default", connection=Redis.from_url(REDIS_URL))
    running = workers(env, burst=False)
    try:
        time.sleep(3)  # let them start
        started = time.time()
        enqueued = [queue.enqueue(noop, result_ttl=600) for _ in range(jobs)]
        while queue.count or any(job.get_status(refresh=True) != "finished" for job in enqueued[-50:]):
            time.sleep(0.05)
        for job in enqueued:
            job.refresh()
        last = max(job.ended_at for job in enqueued).timestamp()
    finally:
        stop(running)
    return jobs / (last - started)


def seed_recipients(session, count: int) -> None:
    """``count`` OAA beneficiaries in Cumilla, each with a 2026-07 payment sent (set-based SQL)."""
    upazila_id, district_id = session.execute(
        text(
            "SELECT u.id, u.district_id FROM upazilas u JOIN districts d ON d.id = u.district_id "
            "WHERE d.name_en = 'Cumilla' ORDER BY u.id LIMIT 1"
        )
    ).one()
    session.execute(
        text(
            "INSERT INTO households (external_id, size, monthly_income_bdt, land_decimal) "
            "SELECT 'BENCH' || n, 4, 5000, 0 FROM generate_series(1, :count) n"
        ),
        {"count": count},
    )
    session.execute(
        text(
            "INSERT INTO citizens (nid, name_en, name_bn, date_of_birth, gender, mobile, district_id, upazila_id, "
            "household_id, disability, marital_status, language) "
            "SELECT (1950000000000 + n)::text, 'Bench ' || n, 'বেঞ্চ', DATE '1950-01-01', 'F', "
            "'+88017' || lpad(n::text, 8, '0'), :district, :upazila, h.id, false, 'widowed', "
            "CASE WHEN n % 10 = 0 THEN 'en' ELSE 'bn' END "
            "FROM generate_series(1, :count) n JOIN households h ON h.external_id = 'BENCH' || n"
        ),
        {"count": count, "district": district_id, "upazila": upazila_id},
    )
    session.execute(
        text(
            "INSERT INTO payments (citizen_id, programme_code, cycle, amount_bdt, status, paid_on, channel, txn_id) "
            "SELECT id, 'OAA', '2026-07', 600, 'sent', DATE '2026-07-14', 'nagad', 'BENCH' || id FROM citizens"
        )
    )
    session.commit()
    session.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()

    Redis.from_url(REDIS_URL).flushdb()
    try:
        with scratch_database("sms_bench") as database_url:
            env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "SMS_PROVIDER": "console"}
            env.pop("SMS_RATE_PER_SECOND", None)
            run(database_url, env, args.recipients)
    finally:
        Redis.from_url(REDIS_URL).flushdb()


def run(database_url: str, env: dict[str, str], recipients: int) -> None:
    from foundation.clock import as_utc
    from foundation.db import db_session
    from notices import campaigns
    from outbound_sms.models import Message, MessageStatus

    app = ready_app(database_url, REDIS_URL, SMS_PROVIDER="console")
    with app.app_context():
        session = db_session()
        seed_recipients(session, recipients)

        floor = enqueue_and_run_floor(10_000, env)
        print(f"floor: RQ enqueue-and-run, no-op jobs, 2 workers   {floor:8,.0f} jobs/s")

        running = workers(env, burst=False)
        try:
            time.sleep(3)  # let them start
            started = time.time()
            campaign, _ = campaigns.start_or_resume(session, campaigns.CampaignSpec("payment_sent", "OAA", "2026-07"))
            campaigns.run(session, campaign)
            queued = time.time()
            pending = select(func.count()).select_from(Message).where(Message.status != MessageStatus.SENT)
            while session.scalar(pending) and time.time() < started + 1800:
                time.sleep(0.2)
                session.rollback()
        finally:
            stop(running)
        sent, last = session.execute(
            select(func.count(), func.max(Message.updated_at)).where(Message.status == MessageStatus.SENT)
        ).one()
        assert sent == recipients, f"only {sent} of {recipients} sent"
        elapsed = as_utc(last).timestamp() - started
        rate = sent / elapsed
        print(f"campaign messages created and queued                 {sent / (queued - started):8,.0f} messages/s")
        print(
            f"campaign of {sent:,}, start to last sent               {rate:8,.0f} messages/s "
            f"({elapsed:.1f} s; {rate / floor:.1f}x the floor; target >= 2,000)"
        )


if __name__ == "__main__":
    main()
