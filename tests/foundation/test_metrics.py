"""foundation/metrics.py: settings, who may read, the hot path's observations, what is read at
scrape time, and counting across processes."""

import datetime as dt
import os
import subprocess
import sys
import textwrap

import fakeredis
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from foundation import metrics
from foundation.config import PROJECT_ROOT, UnsafeStart


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(*scraped) -> dict:
    body, _ = metrics.exposition(scraped)
    return samples(body.decode())


# -- settings -----------------------------------------------------------------------------------
def test_unset_production_lets_nobody_read_and_development_only_the_loopback():
    production = metrics.settings_from_env({}, production=True)
    development = metrics.settings_from_env({}, production=False)
    assert production["SAHAYATA_METRICS"] is True and production["SAHAYATA_METRICS_ALLOW"] == ()
    assert not metrics.may_read("127.0.0.1", production["SAHAYATA_METRICS_ALLOW"])
    allow = development["SAHAYATA_METRICS_ALLOW"]
    assert metrics.may_read("127.0.0.1", allow) and metrics.may_read("::1", allow)
    assert not metrics.may_read("10.0.0.5", allow)


def test_the_allow_list_takes_addresses_and_blocks_of_both_families():
    allow = metrics.settings_from_env(
        {"SAHAYATA_METRICS_ALLOW": "10.0.0.5, 192.168.8.0/24,2001:db8::/32"}, production=True
    )["SAHAYATA_METRICS_ALLOW"]
    assert metrics.may_read("10.0.0.5", allow)
    assert not metrics.may_read("10.0.0.6", allow)
    assert metrics.may_read("192.168.8.200", allow)
    assert metrics.may_read("::ffff:192.168.8.9", allow)  # an IPv4 client on a dual-stack socket
    assert metrics.may_read("2001:db8::1", allow)
    assert not metrics.may_read("2001:db9::1", allow)
    assert not metrics.may_read("not-an-address", allow) and not metrics.may_read(None, allow)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SAHAYATA_METRICS_ALLOW": "10.0.0.0/33"}, "SAHAYATA_METRICS_ALLOW"),
        ({"SAHAYATA_METRICS_ALLOW": "prometheus.internal"}, "SAHAYATA_METRICS_ALLOW"),
        ({"SAHAYATA_METRICS": "yes"}, "SAHAYATA_METRICS"),
    ],
)
def test_an_unreadable_setting_refuses_the_start_naming_it(env, named):
    with pytest.raises(UnsafeStart, match=named):
        metrics.settings_from_env(env, production=True)


def test_metrics_can_be_switched_off():
    assert metrics.settings_from_env({"SAHAYATA_METRICS": "0"}, production=False)["SAHAYATA_METRICS"] is False
    assert not metrics.hop_metrics({"SAHAYATA_METRICS": False}).enabled
    assert metrics.hop_metrics({"SAHAYATA_METRICS": True}).enabled


# -- the hot path ---------------------------------------------------------------------------------
def test_hop_metrics_count_hops_by_gateway_and_screen_and_time_them():
    key = ("sahayata_ussd_hops_total", (("gateway", "testgw"), ("screen", "payments")))
    count = ("sahayata_ussd_hop_seconds_count", (("gateway", "testgw"),))
    fast = ("sahayata_ussd_hop_seconds_bucket", (("gateway", "testgw"), ("le", "0.005")))
    before = scrape()
    observed = metrics.hop_metrics({})
    observed.hop("testgw", "payments")
    observed.hop("testgw", "payments")
    observed.latency("testgw", 0.003)
    observed.latency("testgw", 0.3)
    observed.session_ended("testgw", "answered")
    after = scrape()
    assert after[key] - before.get(key, 0) == 2
    assert after[count] - before.get(count, 0) == 2
    assert after[fast] - before.get(fast, 0) == 1
    ended = ("sahayata_ussd_sessions_ended_total", (("gateway", "testgw"), ("reason", "answered")))
    assert after[ended] - before.get(ended, 0) == 1


def test_switched_off_nothing_is_observed():
    key = ("sahayata_ussd_hops_total", (("gateway", "offgw"), ("screen", "main")))
    observed = metrics.hop_metrics({"SAHAYATA_METRICS": False})
    observed.hop("offgw", "main")
    observed.latency("offgw", 0.01)
    observed.session_ended("offgw", "answered")
    text = metrics.exposition()[0].decode()
    assert key not in samples(text) and "offgw" not in text


# -- read at scrape time ------------------------------------------------------------------------
def _job():
    return None


def test_queue_depths_and_the_oldest_jobs_age_come_from_redis():
    redis = fakeredis.FakeRedis()
    queue = Queue("default", connection=redis)
    first = queue.enqueue(_job)
    queue.enqueue(_job)
    now = first.enqueued_at.timestamp() + 42.5
    read = scrape(metrics.ScrapeTime(metrics.QueueDepths(redis, ("default", "sms"), now=lambda: now)))
    assert read[("sahayata_queue_jobs", (("queue", "default"),))] == 2
    assert read[("sahayata_queue_jobs", (("queue", "sms"),))] == 0
    assert read[("sahayata_queue_oldest_job_age_seconds", (("queue", "default"),))] == pytest.approx(42.5, abs=0.01)
    assert read[("sahayata_queue_oldest_job_age_seconds", (("queue", "sms"),))] == 0
    assert read[("sahayata_metrics_source_up", (("source", "rq"),))] == 1


def test_a_redis_that_does_not_answer_is_reported_not_raised(caplog):
    unreachable = Redis(host="127.0.0.1", port=18399, socket_connect_timeout=0.5)  # nothing listens there
    read = scrape(metrics.ScrapeTime(metrics.QueueDepths(unreachable, ("default",))))
    assert read[("sahayata_metrics_source_up", (("source", "rq"),))] == 0
    assert ("sahayata_queue_jobs", (("queue", "default"),)) not in read
    assert "RQ queues not read (ConnectionError)" in caplog.text


def test_backlogs_report_each_source_and_one_that_fails_does_not_hide_the_others():
    now = dt.datetime(2026, 11, 5, 6, 0, tzinfo=dt.UTC)

    def broken():
        raise OSError("database down")

    backlogs = metrics.Backlogs(
        [
            metrics.Backlog("grievance_outbox", lambda: (3, now - dt.timedelta(minutes=2))),
            metrics.Backlog("sms_alerts", broken),
            metrics.Backlog("sms_handoff", lambda: (0, None)),
        ],
        now=lambda: now,
    )
    read = scrape(metrics.ScrapeTime(backlogs))
    assert read[("sahayata_backlog_pending", (("backlog", "grievance_outbox"),))] == 3
    assert read[("sahayata_backlog_oldest_age_seconds", (("backlog", "grievance_outbox"),))] == 120
    assert read[("sahayata_backlog_pending", (("backlog", "sms_handoff"),))] == 0
    assert read[("sahayata_backlog_oldest_age_seconds", (("backlog", "sms_handoff"),))] == 0
    assert ("sahayata_backlog_pending", (("backlog", "sms_alerts"),)) not in read
    up = {
        name: read[("sahayata_metrics_source_up", (("source", name),))] for name in ("grievance_outbox", "sms_alerts")
    }
    assert up == {"grievance_outbox": 1, "sms_alerts": 0}


# -- several processes --------------------------------------------------------------------------
COUNT_IN_A_PROCESS = textwrap.dedent(
    """
    import sys
    from foundation import metrics
    hops = metrics.hop_metrics({})
    for _ in range(int(sys.argv[1])):
        hops.hop("africastalking", "main")
    metrics.SMS_SENDS.labels("console", "sent").inc()
    """
)
SCRAPE_IN_A_PROCESS = "from foundation import metrics; print(metrics.exposition()[0].decode())"


def test_with_a_multiprocess_directory_a_scrape_adds_up_every_process(tmp_path):
    """What gunicorn's workers do: each counts into its own file; whoever scrapes sums them,
    also those of processes that have ended."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}  # made on first import

    def python(code: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    python(COUNT_IN_A_PROCESS, "3")
    python(COUNT_IN_A_PROCESS, "4")
    read = samples(python(SCRAPE_IN_A_PROCESS))
    assert read[("sahayata_ussd_hops_total", (("gateway", "africastalking"), ("screen", "main")))] == 7
    assert read[("sahayata_sms_sends_total", (("outcome", "sent"), ("provider", "console")))] == 2
    assert len(list((tmp_path / "metrics").glob("counter_*.db"))) == 2
