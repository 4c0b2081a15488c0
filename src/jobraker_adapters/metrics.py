"""Prometheus metrics: what each process measures, and where the fleet's numbers are kept.

Two kinds of numbers (ADR 0017):

- **Per API process** (``ProcessMetrics``, a ``prometheus_client`` registry in the process):
  HTTP requests by method, route *template* and status, their latency histogram, and 5xx errors.
  Each API process serves its own; Prometheus scrapes every process, as usual.
- **Fleet-wide** (``RedisMetricsSink`` writes, ``FleetCollector`` reads at scrape time): RQ
  runs every job in a forked work horse that dies after it, so worker numbers cannot live in
  process memory. Task durations and outcomes per queue and task, and external call latency and
  errors per vendor (from workers and API processes alike), are added to two Redis hashes with
  ``HINCRBYFLOAT`` in one pipeline per event, and any API process's ``/metrics`` reads them.
  Queue depths are read live from RQ's registries, and ingestion totals per source from
  PostgreSQL, at scrape time. A Redis failure drops the numbers of that event (logged at debug);
  it never fails the call being measured.

Label values are bounded: routes are templates (``/api/v1/jobs/{job_id:str}``), vendors come
from a fixed table of configured hosts (anything else is ``other``), tasks are dotted paths of
our own functions, sources are source kinds.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import urlsplit

import attrs
import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.moderation.ports import QueueDepth

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from redis import Redis

    from jobraker_adapters.settings import Settings

log = logging.getLogger(__name__)

COUNTERS_KEY: Final = "jobraker:metrics:counters"
HISTOGRAMS_KEY: Final = "jobraker:metrics:histograms"
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TASK_BUCKETS: Final = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 7200.0)

FLEET_METRICS: Final = {
    "jobraker_task_duration_seconds": (
        "histogram",
        "Duration of queued tasks on the workers, by queue, task and outcome.",
        ("queue", "task", "outcome"),
    ),
    "jobraker_tasks_total": (
        "counter",
        "Queued tasks run by the workers, by queue, task and outcome.",
        ("queue", "task", "outcome"),
    ),
    "jobraker_external_call_duration_seconds": (
        "histogram",
        "Latency of calls to external APIs, by vendor.",
        ("vendor",),
    ),
    "jobraker_external_call_errors_total": (
        "counter",
        "Failed calls to external APIs, by vendor and kind (timeout, network, http_5xx, ...).",
        ("vendor", "kind"),
    ),
}
"""The metrics kept in Redis: kind, help text, label names."""


# ----------------------------------------------------------------------------- the fleet sink


class MetricsSink(Protocol):
    """Where fleet-wide numbers go (Redis in production, memory in tests)."""

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        """Add ``amount`` to a counter."""
        ...

    def observe(
        self, name: str, labels: Mapping[str, str], value: float, buckets: Sequence[float]
    ) -> None:
        """Record one observation of a histogram."""
        ...


def _field(name: str, labels: Mapping[str, str], extra: str | None = None) -> str:
    return json.dumps([name, sorted(labels.items()), extra], separators=(",", ":"))


def _bucket_of(value: float, buckets: Sequence[float]) -> str:
    for bound in buckets:
        if value <= bound:
            return repr(float(bound))
    return "+Inf"


class RedisMetricsSink:
    """Adds fleet numbers to Redis hashes; a Redis error drops them (never raises)."""

    def __init__(self, redis: Redis) -> None:
        """Write with ``redis``."""
        self._redis = redis

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        """Add ``amount`` to a counter."""
        try:
            self._redis.hincrbyfloat(COUNTERS_KEY, _field(name, labels), amount)
        except RedisError as error:
            log.debug("metrics dropped", extra={"metric": name, "error": str(error)})

    def observe(
        self, name: str, labels: Mapping[str, str], value: float, buckets: Sequence[float]
    ) -> None:
        """Record one observation: its bucket, the sum and the count, in one round trip."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hincrbyfloat(HISTOGRAMS_KEY, _field(name, labels, _bucket_of(value, buckets)), 1)
            pipe.hincrbyfloat(HISTOGRAMS_KEY, _field(name, labels, "_sum"), value)
            pipe.execute()
        except RedisError as error:
            log.debug("metrics dropped", extra={"metric": name, "error": str(error)})


@attrs.define
class InMemoryMetricsSink:
    """A ``MetricsSink`` that keeps the numbers in dictionaries (tests, the memory container)."""

    counters: dict[str, float] = attrs.field(factory=lambda: defaultdict(float))
    histograms: dict[str, float] = attrs.field(factory=lambda: defaultdict(float))

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        """Add ``amount`` to a counter."""
        self.counters[_field(name, labels)] += amount

    def observe(
        self, name: str, labels: Mapping[str, str], value: float, buckets: Sequence[float]
    ) -> None:
        """Record one observation."""
        self.histograms[_field(name, labels, _bucket_of(value, buckets))] += 1
        self.histograms[_field(name, labels, "_sum")] += value


def _decode(raw: Mapping[bytes | str, bytes | str]) -> dict[str, float]:
    decoded: dict[str, float] = {}
    for key, value in raw.items():
        text = key.decode() if isinstance(key, bytes) else key
        number = value.decode() if isinstance(value, bytes) else value
        decoded[text] = float(number)
    return decoded


def fleet_families(
    counters: Mapping[str, float], histograms: Mapping[str, float]
) -> Iterator[Metric]:
    """The Prometheus families of the stored fleet numbers (unknown names are skipped)."""
    counter_values: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    for field, value in counters.items():
        name, labels, _ = json.loads(field)
        spec = FLEET_METRICS.get(name)
        if spec is None or spec[0] != "counter":
            continue
        found = dict(labels)
        counter_values[name].append((tuple(found.get(n, "") for n in spec[2]), value))
    hist: dict[str, dict[tuple[str, ...], dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for field, value in histograms.items():
        name, labels, part = json.loads(field)
        spec = FLEET_METRICS.get(name)
        if spec is None or spec[0] != "histogram":
            continue
        found = dict(labels)
        hist[name][tuple(found.get(n, "") for n in spec[2])][part] = value
    for name, (kind, help_text, label_names) in FLEET_METRICS.items():
        if kind == "counter":
            family = CounterMetricFamily(name.removesuffix("_total"), help_text, labels=label_names)
            for label_values, value in sorted(counter_values.get(name, [])):
                family.add_metric(list(label_values), value)
            yield family
            continue
        buckets = TASK_BUCKETS if name.startswith("jobraker_task") else LATENCY_BUCKETS
        histogram = HistogramMetricFamily(name, help_text, labels=label_names)
        for label_values, parts in sorted(hist.get(name, {}).items()):
            cumulative = 0.0
            points: list[tuple[str, float]] = []
            for bound in [repr(float(b)) for b in buckets] + ["+Inf"]:
                cumulative += parts.get(bound, 0.0)
                points.append((bound, cumulative))
            histogram.add_metric(list(label_values), points, parts.get("_sum", 0.0))
        yield histogram


# ----------------------------------------------------------------------------- live numbers


class IngestionTotals(Protocol):
    """Ingestion totals per source kind and status, read at scrape time."""

    def ingestion_totals(self) -> Sequence[tuple[str, str, int, Mapping[str, int]]]:
        """(source, status, runs, {fetched, new, updated, duplicate, rejected}) rows."""
        ...


class RQQueueMonitor:
    """``QueueMonitor`` over RQ: queued, started, scheduled and failed jobs of one queue."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        """Read the queue ``queue_name`` with ``redis``."""
        self._redis = redis
        self._name = queue_name

    def depths(self) -> Sequence[QueueDepth]:
        """The queue's depth per state; ``UpstreamUnavailable`` when Redis is down."""
        try:
            queue = Queue(self._name, connection=self._redis)
            return [
                QueueDepth(
                    queue=self._name,
                    queued=queue.count,
                    started=StartedJobRegistry(queue=queue).count,
                    scheduled=ScheduledJobRegistry(queue=queue).count,  # type: ignore[no-untyped-call]
                    failed=FailedJobRegistry(queue=queue).count,
                )
            ]
        except RedisError as error:
            raise UpstreamUnavailable(
                f"the queue cannot be read: {error}", service="redis"
            ) from None


class QueueDepths(Protocol):
    """Reads queue depths (the ``QueueMonitor`` port)."""

    def depths(self) -> Sequence[QueueDepth]:
        """One entry per queue."""
        ...


class FleetCollector(Collector):
    """Collects, at scrape time, the fleet numbers in Redis, queue depths and ingestion totals.

    Each part that cannot be read is left out of that scrape (and counted in
    ``jobraker_metrics_scrape_errors``).
    """

    def __init__(
        self,
        *,
        redis: Callable[[], Redis] | None,
        queues: Callable[[], QueueDepths] | None,
        ingestion: Callable[[], IngestionTotals] | None,
        sink: InMemoryMetricsSink | None = None,
    ) -> None:
        """Read through these (lazily made) clients; ``sink`` replaces Redis in tests."""
        self._redis = redis
        self._queues = queues
        self._ingestion = ingestion
        self._sink = sink

    def describe(self) -> list[Metric]:
        """Nothing up front: the families are only known by reading, at scrape time."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Yield every family."""
        errors: dict[str, float] = {}
        for part, families in (
            ("fleet", self._fleet),
            ("queue", self._depths),
            ("ingestion", self._ingestion_totals),
        ):
            try:
                yield from families()
            except Exception as error:  # noqa: BLE001 - a scrape shows what it can
                errors[part] = 1
                log.warning("metrics: %s unreadable", part, extra={"error": repr(error)})
        scrape = GaugeMetricFamily(
            "jobraker_metrics_scrape_errors",
            "1 for each part of this scrape that could not be read.",
            labels=["part"],
        )
        for part in ("fleet", "queue", "ingestion"):
            scrape.add_metric([part], errors.get(part, 0))
        yield scrape

    def _fleet(self) -> list[Metric]:
        if self._sink is not None:
            counters, histograms = dict(self._sink.counters), dict(self._sink.histograms)
        elif self._redis is not None:
            client = self._redis()
            counters = _decode(client.hgetall(COUNTERS_KEY))
            histograms = _decode(client.hgetall(HISTOGRAMS_KEY))
        else:
            counters, histograms = {}, {}
        return list(fleet_families(counters, histograms))

    def _depths(self) -> list[Metric]:
        depth = GaugeMetricFamily(
            "jobraker_queue_depth", "Jobs in the task queue by state.", labels=["queue", "state"]
        )
        if self._queues is not None:
            for entry in self._queues().depths():
                for state in ("queued", "started", "scheduled", "failed"):
                    depth.add_metric([entry.queue, state], getattr(entry, state))
        return [depth]

    def _ingestion_totals(self) -> list[Metric]:
        runs = GaugeMetricFamily(
            "jobraker_ingestion_runs",
            "Ingestion runs recorded, by source kind and status.",
            labels=["source", "status"],
        )
        records = GaugeMetricFamily(
            "jobraker_ingested_records",
            "Records of succeeded ingestion runs, by source kind and outcome.",
            labels=["source", "outcome"],
        )
        if self._ingestion is not None:
            per_outcome: dict[tuple[str, str], int] = defaultdict(int)
            for source, status, count, totals in self._ingestion().ingestion_totals():
                runs.add_metric([source, status], count)
                if status == "succeeded":
                    for outcome, value in totals.items():
                        per_outcome[(source, outcome)] += value
            for (source, outcome), value in sorted(per_outcome.items()):
                records.add_metric([source, outcome], value)
        return [runs, records]


# ----------------------------------------------------------------------------- per process


class ProcessMetrics:
    """The registry one API process serves at ``/metrics``: its own HTTP numbers and the fleet's."""

    def __init__(self, fleet: Collector | None = None) -> None:
        """Make a fresh registry (one per app, so tests do not share numbers)."""
        # no auto-describe: registering the fleet collector must not read Redis or PostgreSQL
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "jobraker_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "jobraker_http_request_errors",
            "HTTP requests answered with a 5xx status, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jobraker_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        if fleet is not None:
            self.registry.register(fleet)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 500:  # noqa: PLR2004
            self.errors.labels(method, route).inc()


# ----------------------------------------------------------------------------- the HTTP client


def vendor_hosts(settings: Settings) -> dict[str, str]:
    """Host (``host`` or ``host:port``) -> vendor label, from the configured base URLs."""
    table = {
        "api.adzuna.com": "adzuna",
        "boards-api.greenhouse.io": "greenhouse",
        "api.lever.co": "lever",
        "api.openai.com": "openai",
        "api.skyvern.com": "skyvern",
    }
    for vendor, url in (
        ("adzuna", settings.adzuna_base_url),
        ("greenhouse", settings.greenhouse_base_url),
        ("lever", settings.lever_base_url),
        ("openai", settings.openai_base_url),
        ("skyvern", getattr(settings, "skyvern_base_url", None)),
    ):
        if url:
            parts = urlsplit(url)
            if parts.hostname:
                table[parts.netloc.lower()] = vendor
    return table


class MeasuredTransport(httpx.BaseTransport):
    """An httpx transport that times each call and counts failures, labelled by vendor.

    Vendors are looked up by ``host:port``, then ``host``, in ``vendors``; anything else is
    ``other``. A 5xx or 429 answer counts as an error (``http_5xx`` / ``http_429``) as do
    timeouts and network errors, which are re-raised unchanged.
    """

    def __init__(
        self, inner: httpx.BaseTransport, vendors: Mapping[str, str], sink: MetricsSink
    ) -> None:
        """Wrap ``inner``."""
        self._inner = inner
        self._vendors = dict(vendors)
        self._sink = sink

    def vendor(self, url: httpx.URL) -> str:
        """The vendor label of a request URL."""
        host = url.host.lower()
        netloc = f"{host}:{url.port}" if url.port is not None else host
        return self._vendors.get(netloc) or self._vendors.get(host) or "other"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request through the inner transport and record it."""
        vendor = self.vendor(request.url)
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
        except httpx.TimeoutException:
            self._record(vendor, started, "timeout")
            raise
        except httpx.HTTPError:
            self._record(vendor, started, "network")
            raise
        status = response.status_code
        kind = "http_5xx" if status >= 500 else "http_429" if status == 429 else None  # noqa: PLR2004
        self._record(vendor, started, kind)
        return response

    def _record(self, vendor: str, started: float, error: str | None) -> None:
        labels = {"vendor": vendor}
        self._sink.observe(
            "jobraker_external_call_duration_seconds",
            labels,
            time.perf_counter() - started,
            LATENCY_BUCKETS,
        )
        if error is not None:
            self._sink.inc("jobraker_external_call_errors_total", {**labels, "kind": error})

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


def measured_transport(settings: Settings, sink: MetricsSink) -> httpx.BaseTransport:
    """The shared client's transport: the default one, measured (proxied when configured).

    An explicit transport makes httpx ignore ``HTTP(S)_PROXY``, so the proxy is a setting.
    """
    inner = httpx.HTTPTransport(proxy=settings.http_proxy)
    return MeasuredTransport(inner, vendor_hosts(settings), sink)


def record_task(sink: MetricsSink, *, queue: str, task: str, outcome: str, seconds: float) -> None:
    """Record one finished task of a worker."""
    labels = {"queue": queue, "task": task, "outcome": outcome}
    sink.inc("jobraker_tasks_total", labels)
    sink.observe("jobraker_task_duration_seconds", labels, seconds, TASK_BUCKETS)


def fleet_collector(
    redis: Callable[[], Redis],
    queues: Callable[[], QueueDepths],
    ingestion: Callable[[], IngestionTotals],
) -> FleetCollector:
    """The production fleet collector (Redis numbers, RQ depths, PostgreSQL totals)."""
    return FleetCollector(redis=redis, queues=queues, ingestion=ingestion)


__all__ = (
    "FleetCollector",
    "InMemoryMetricsSink",
    "MeasuredTransport",
    "ProcessMetrics",
    "RQQueueMonitor",
    "RedisMetricsSink",
    "fleet_families",
    "measured_transport",
    "record_task",
    "vendor_hosts",
)
