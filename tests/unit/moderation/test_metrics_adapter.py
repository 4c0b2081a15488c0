"""The metrics adapter: vendor labels and failures of external calls, fleet histograms."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import attrs
import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from jobraker_adapters.metrics import (
    LATENCY_BUCKETS,
    FleetCollector,
    InMemoryMetricsSink,
    MeasuredTransport,
    ProcessMetrics,
    measured_transport,
    record_task,
    vendor_hosts,
)
from jobraker_adapters.settings import Settings


def _client(sink: InMemoryMetricsSink, handler) -> httpx.Client:
    settings = attrs.evolve(
        Settings(data_dir=Path("/nonexistent")), greenhouse_base_url="http://127.0.0.1:8123"
    )
    transport = MeasuredTransport(httpx.MockTransport(handler), vendor_hosts(settings), sink)
    return httpx.Client(transport=transport)


def _scrape(sink: InMemoryMetricsSink) -> str:
    registry = CollectorRegistry()
    registry.register(FleetCollector(redis=None, queues=None, ingestion=None, sink=sink))
    return generate_latest(registry).decode()


def test_calls_are_labelled_by_configured_vendor_and_failures_by_kind():
    """Known hosts and configured base URLs name their vendor; 5xx, 429 and timeouts count."""
    sink = InMemoryMetricsSink()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(int(request.url.path.strip("/") or 200))

    with _client(sink, handler) as client:
        client.get("https://api.lever.co/200")
        client.get("http://127.0.0.1:8123/503")
        client.get("https://api.adzuna.com/429")
        client.get("https://unknown.example/200")
        with pytest.raises(httpx.ReadTimeout):
            client.get("https://api.openai.com/slow")
    text = _scrape(sink)
    assert 'jobraker_external_call_duration_seconds_count{vendor="lever"} 1.0' in text
    assert 'jobraker_external_call_duration_seconds_count{vendor="other"} 1.0' in text
    assert 'jobraker_external_call_errors_total{kind="http_5xx",vendor="greenhouse"} 1.0' in text
    assert 'jobraker_external_call_errors_total{kind="http_429",vendor="adzuna"} 1.0' in text
    assert 'jobraker_external_call_errors_total{kind="timeout",vendor="openai"} 1.0' in text
    assert 'vendor="lever"' in text
    assert "unknown.example" not in text


def test_fleet_histograms_are_cumulative_with_sum_and_count():
    """Observations land in cumulative buckets with the right sum and count."""
    sink = InMemoryMetricsSink()
    for seconds in (0.3, 2.0, 4000.0):
        record_task(sink, queue="q", task="t", outcome="succeeded", seconds=seconds)
    text = _scrape(sink)
    labels = 'outcome="succeeded",queue="q",task="t"'
    assert f'jobraker_task_duration_seconds_bucket{{le="0.5",{labels}}} 1.0' in text
    assert f'jobraker_task_duration_seconds_bucket{{le="5.0",{labels}}} 2.0' in text
    assert f'jobraker_task_duration_seconds_bucket{{le="7200.0",{labels}}} 3.0' in text
    assert f'jobraker_task_duration_seconds_bucket{{le="+Inf",{labels}}} 3.0' in text
    assert f"jobraker_task_duration_seconds_count{{{labels}}} 3.0" in text
    assert f"jobraker_task_duration_seconds_sum{{{labels}}} 4002.3" in text
    assert f"jobraker_tasks_total{{{labels}}} 3.0" in text
    assert LATENCY_BUCKETS[0] < LATENCY_BUCKETS[-1]


def test_a_part_that_cannot_be_read_is_reported_not_raised():
    """A queue monitor that fails leaves the scrape working and flags the part."""

    def broken():
        raise RuntimeError("redis down")

    registry = CollectorRegistry()
    registry.register(
        FleetCollector(redis=None, queues=broken, ingestion=None, sink=InMemoryMetricsSink())
    )
    text = generate_latest(registry).decode()
    assert 'jobraker_metrics_scrape_errors{part="queue"} 1.0' in text
    assert 'jobraker_metrics_scrape_errors{part="fleet"} 0.0' in text


def test_making_the_registry_reads_nothing_until_scraped():
    """Building a process's registry touches neither Redis, the queue nor PostgreSQL."""
    touched: list[str] = []

    def reader(name):
        def read():
            touched.append(name)
            raise RuntimeError(name)

        return read

    fleet = FleetCollector(
        redis=reader("redis"), queues=reader("queue"), ingestion=reader("postgres")
    )
    metrics = ProcessMetrics(fleet)
    assert touched == []
    text = generate_latest(metrics.registry).decode()
    assert touched == ["redis", "queue", "postgres"]
    assert 'jobraker_metrics_scrape_errors{part="fleet"} 1.0' in text


def test_external_calls_go_through_the_configured_proxy():
    """With JOBRAKER_HTTP_PROXY set, the measured transport sends every call to that proxy."""
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings.from_env(
            {
                "JOBRAKER_HTTP_PROXY": f"http://127.0.0.1:{server.server_port}",
                "HOME": "/nonexistent",
            }
        )
        sink = InMemoryMetricsSink()
        with httpx.Client(transport=measured_transport(settings, sink)) as client:
            assert client.get("http://jobs.example.invalid/feed").text == "ok"
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["http://jobs.example.invalid/feed"]
