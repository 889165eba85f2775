"""Prometheus metrics: every definition in one place, and what is read only at scrape time.

Channels and domains add to the counters defined here (a USSD hop, an SMS sent, an SLA
breach, an import's rows); the composition root serves them at ``/metrics``
(sahayata/metrics_endpoint.py). Every label takes values from a fixed set (gateway names,
screen ids, providers, outcomes, tiers, import kinds), never a phone number or a session id:
each distinct label value is a series kept for good.

Under gunicorn several worker processes count at once. With ``PROMETHEUS_MULTIPROC_DIR``
set (gunicorn.conf.py sets a private one when the deployment did not), prometheus_client
keeps each process's values in a file of that directory and a scrape adds them up, so the
worker that answers ``/metrics`` reports every worker's hops
(https://prometheus.github.io/client_python/multiprocess/). The RQ workers, the scheduler
and the ``flask`` commands (imports) count into the same directory when it is set for them
too, which is how one box's SMS outcomes, breaches and imports reach the web's scrape.
Without the variable (a development server, the tests) a process counts in memory.

Queue depths and backlogs are not counted as they change: a custom collector reads them
when scraped (a few Redis commands, an indexed count), so they are never stale or lost with
a process.

Settings: ``SAHAYATA_METRICS`` (``0``: nothing is counted and ``/metrics`` answers 404; the
USSD benchmark compares a hop with and without) and ``SAHAYATA_METRICS_ALLOW``
(comma-separated addresses or CIDR blocks that may read ``/metrics``: unset, nobody in
production and the loopback addresses in development).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job
from rq.queue import Queue
from rq.utils import utcparse

from foundation.config import UnsafeStart

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None


# A process started with the variable but before the directory exists (a `flask` command on a
# fresh box) would fail at the first metric below, at import: make it instead.
if multiprocess_dir():
    os.makedirs(multiprocess_dir(), exist_ok=True)

# This process's metrics, when it counts in memory (no multiprocess directory).
REGISTRY = CollectorRegistry()

# A hop is answered in a few milliseconds; gateways give up after a few seconds.
HOP_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

USSD_HOPS = Counter(
    "sahayata_ussd_hops",
    "USSD hops answered, by gateway and the screen shown (unavailable: the hop failed)",
    ["gateway", "screen"],
    registry=REGISTRY,
)
USSD_HOP_SECONDS = Histogram(
    "sahayata_ussd_hop_seconds",
    "Time the engine took to answer a USSD hop, by gateway",
    ["gateway"],
    buckets=HOP_BUCKETS,
    registry=REGISTRY,
)
USSD_SESSIONS_ENDED = Counter(
    "sahayata_ussd_sessions_ended",
    "USSD sessions ended, by gateway and reason",
    ["gateway", "reason"],
    registry=REGISTRY,
)
SMS_SENDS = Counter(
    "sahayata_sms_sends",
    "SMS handed to a provider, by provider and outcome (sent, retry, failed)",
    ["provider", "outcome"],
    registry=REGISTRY,
)
SLA_BREACHES = Counter(
    "sahayata_grievance_sla_breaches",
    "Complaints escalated because their deadline passed, by the tier whose deadline it was",
    ["tier"],
    registry=REGISTRY,
)
IMPORT_ROWS = Counter(
    "sahayata_import_rows",
    "Rows of registry imports, by kind and outcome (written; rejected: a bad row; "
    "discarded: a good row of a file refused as a whole)",
    ["kind", "outcome"],
    registry=REGISTRY,
)

# Why a USSD session ended: our END after an answer, too many wrong keys, a hop that failed,
# the gateway's report of a timeout or a drop, or the caller's red key.
END_REASONS = ("answered", "wrong_keys", "unavailable", "timeout", "dropped", "hung_up")


class HopMetrics:
    """What the USSD engine observes on its hot path. A label set's child is looked up once
    and kept: ``labels()`` takes a lock and builds a key on every call."""

    enabled = True

    def __init__(self) -> None:
        self._hops: dict[tuple[str, str], Counter] = {}
        self._seconds: dict[str, Histogram] = {}

    def hop(self, gateway: str, screen: str) -> None:
        child = self._hops.get((gateway, screen))
        if child is None:
            child = self._hops[(gateway, screen)] = USSD_HOPS.labels(gateway, screen)
        child.inc()

    def latency(self, gateway: str, seconds: float) -> None:
        child = self._seconds.get(gateway)
        if child is None:
            child = self._seconds[gateway] = USSD_HOP_SECONDS.labels(gateway)
        child.observe(seconds)

    def session_ended(self, gateway: str, reason: str) -> None:
        USSD_SESSIONS_ENDED.labels(gateway, reason).inc()


class NoHopMetrics(HopMetrics):
    """SAHAYATA_METRICS=0: nothing observed."""

    enabled = False

    def hop(self, gateway: str, screen: str) -> None:
        pass

    def latency(self, gateway: str, seconds: float) -> None:
        pass

    def session_ended(self, gateway: str, reason: str) -> None:
        pass


def hop_metrics(config: Mapping[str, object]) -> HopMetrics:
    return HopMetrics() if config.get("SAHAYATA_METRICS", True) else NoHopMetrics()


# -- settings ----------------------------------------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def settings_from_env(env: Mapping[str, str], production: bool) -> dict[str, object]:
    """SAHAYATA_METRICS and SAHAYATA_METRICS_ALLOW; anything unreadable refuses the start (a
    typo must not open the metrics to everyone, or silently close them)."""
    switch = env.get("SAHAYATA_METRICS", "1").strip()
    if switch not in ("0", "1"):
        raise UnsafeStart(f"SAHAYATA_METRICS must be 0 or 1, not {switch!r}")
    raw = env.get("SAHAYATA_METRICS_ALLOW", "").strip()
    allow: tuple[Network, ...] = () if production else LOOPBACK
    if raw:
        entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
        try:
            allow = tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
        except ValueError:
            raise UnsafeStart(
                f"SAHAYATA_METRICS_ALLOW must list addresses or CIDR blocks (e.g. 10.0.0.5,10.1.0.0/16), not {raw!r}"
            ) from None
    return {"SAHAYATA_METRICS": switch == "1", "SAHAYATA_METRICS_ALLOW": allow}


def may_read(address: str | None, allow: Sequence[Network]) -> bool:
    """Whether a client at ``address`` (after ProxyFix) may read the metrics."""
    if not address or not allow:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped:
        client = client.ipv4_mapped
    return any(client.version == network.version and client in network for network in allow)


# -- read at scrape time ------------------------------------------------------------------------
def _source_up(sources: Mapping[str, bool]) -> GaugeMetricFamily:
    up = GaugeMetricFamily(
        "sahayata_metrics_source_up", "1 when the scrape could read this source, 0 when it failed", labels=["source"]
    )
    for source, ok in sources.items():
        up.add_metric([source], 1.0 if ok else 0.0)
    return up


class QueueDepths:
    """Each RQ queue's waiting jobs and the age of the oldest, read from Redis when scraped:
    a queue is a Redis list (RQ pushes at the tail, workers take from the head), so its
    length and its head job's ``enqueued_at`` are two round trips for every queue."""

    def __init__(self, redis: Redis, queue_names: Sequence[str], now: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.queue_names = tuple(queue_names)
        self.now = now

    def read(self) -> tuple[list[Metric], dict[str, bool]]:
        depth = GaugeMetricFamily("sahayata_queue_jobs", "Jobs waiting in each RQ queue", labels=["queue"])
        age = GaugeMetricFamily(
            "sahayata_queue_oldest_job_age_seconds",
            "How long the job at the head of each RQ queue has waited (0: the queue is empty)",
            labels=["queue"],
        )
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for name in self.queue_names:
                    key = Queue.redis_queue_namespace_prefix + name
                    pipe.llen(key)
                    pipe.lindex(key, 0)
                answers = pipe.execute()
            heads = [head.decode() for head in answers[1::2] if head]
            enqueued: dict[str, bytes | None] = {}
            if heads:
                with self.redis.pipeline(transaction=False) as pipe:
                    for head in heads:
                        pipe.hget(Job.key_for(head), "enqueued_at")
                    enqueued = dict(zip(heads, pipe.execute(), strict=True))
        except RedisError as exc:
            log.warning("metrics: RQ queues not read (%s)", type(exc).__name__)
            return [], {"rq": False}
        now = self.now()
        for name, length, head in zip(self.queue_names, answers[0::2], answers[1::2], strict=True):
            depth.add_metric([name], float(length))
            at = enqueued.get(head.decode()) if head else None  # None too when the job's hash expired
            age.add_metric([name], max(now - utcparse(at.decode()).timestamp(), 0.0) if at else 0.0)
        return [depth, age], {"rq": True}


@dataclass(frozen=True)
class Backlog:
    """Work written down and not yet done: ``read`` returns how many wait and when the oldest
    was written (None: nothing waits, or the source does not say)."""

    name: str
    read: Callable[[], tuple[int, dt.datetime | None]]


class Backlogs:
    """The outboxes' backlogs, read when scraped (each an indexed count)."""

    def __init__(self, backlogs: Iterable[Backlog], now: Callable[[], dt.datetime] | None = None) -> None:
        self.backlogs = tuple(backlogs)
        self.now = now or (lambda: dt.datetime.now(dt.UTC))

    def read(self) -> tuple[list[Metric], dict[str, bool]]:
        pending = GaugeMetricFamily(
            "sahayata_backlog_pending", "Entries of each outbox not yet done", labels=["backlog"]
        )
        age = GaugeMetricFamily(
            "sahayata_backlog_oldest_age_seconds",
            "How long the oldest entry of each outbox has waited (0: nothing waits)",
            labels=["backlog"],
        )
        up: dict[str, bool] = {}
        for backlog in self.backlogs:
            try:
                count, oldest = backlog.read()
            except Exception as exc:  # a database or Redis error: this source is down, the rest still report
                log.warning("metrics: backlog %s not read (%s)", backlog.name, type(exc).__name__)
                up[backlog.name] = False
                continue
            up[backlog.name] = True
            pending.add_metric([backlog.name], float(count))
            waited = (self.now() - oldest).total_seconds() if oldest is not None else 0.0
            age.add_metric([backlog.name], max(waited, 0.0))
        return [pending, age], up


class ScrapeTime:
    """The collectors read at scrape time, as one collector: their families, then whether each
    source could be read (a family may appear once in a scrape)."""

    def __init__(self, *readers: QueueDepths | Backlogs) -> None:
        self.readers = readers

    def collect(self) -> Iterator[Metric]:
        up: dict[str, bool] = {}
        for reader in self.readers:
            families, sources = reader.read()
            yield from families
            up.update(sources)
        yield _source_up(up)


class _ThisProcess:
    """REGISTRY as one collector of a scrape's registry (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(scraped: Iterable[object] = ()) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type: the counters (every process's, in
    multiprocess mode) and what the ``scraped`` collectors read now."""
    registry = CollectorRegistry()
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    for collector in scraped:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
