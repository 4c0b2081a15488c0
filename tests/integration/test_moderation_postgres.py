"""Moderation and metrics on real PostgreSQL and Redis: after ingestion, on the worker path."""

from __future__ import annotations

import signal
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest
from prometheus_client import generate_latest
from rq import Queue, SimpleWorker

from fakes.greenhouse_server import make_greenhouse_jobs, running_fake_greenhouse
from jobraker_adapters.container import build_container
from jobraker_adapters.link_checker import HttpLinkChecker
from jobraker_adapters.metrics import ProcessMetrics
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.use_cases import StartIngestion
from jobraker_core.moderation.model import FlagQuery, FlagRule
from jobraker_core.moderation.use_cases import CheckLinks
from jobraker_core.pagination import PageRequest
from jobraker_workers.moderation_tasks import execute_moderation
from jobraker_workers.tasks import execute_ingestion
from jobraker_workers.worker import run_worker

pytestmark = pytest.mark.integration
ADMIN = Principal(user_id=uuid.uuid4(), role=Role.ADMIN, token_id="t")


def _board() -> list[dict[str, object]]:
    jobs = make_greenhouse_jobs("acme", 3, company="Acme Inc")
    jobs[0]["title"] = "Test posting - do not apply"
    jobs[1]["content"] = "&lt;p&gt;Pay a registration fee of 40 USD to start.&lt;/p&gt;"
    return jobs


def test_ingestion_queues_moderation_which_flags_jobs_in_postgres(settings, db, redis_client):
    """The worker's ingestion queues the moderation task; it stores flags with evidence."""
    with running_fake_greenhouse({"acme": _board()}) as server:
        container = build_container(attrs.evolve(settings, greenhouse_base_url=server.base_url))
        try:
            run = container.queue_ingestion()(
                StartIngestion(SourceSpec("greenhouse", (("board", "acme"),)))
            )
            assert run is not None
            execute_ingestion(container, str(run.id))
            queued = Queue(settings.queue_name, connection=container.redis()).job_ids
            result = execute_moderation(container, str(run.id))
            flags = container.list_flags()(ADMIN, FlagQuery(), PageRequest(1, 50))
            health = container.get_source_health()(ADMIN)
            metrics = container.get_platform_metrics()(ADMIN)
        finally:
            container.shutdown_resources()
    assert result is not None
    assert result["flagged"] == 2
    rules = {item.flag.rule for item in flags.items}
    assert rules == {FlagRule.TEST_POSTING, FlagRule.SCAM_PAYMENT}
    assert all(item.job is not None for item in flags.items)
    assert f"moderation-{run.id}" in queued
    (greenhouse,) = health
    assert (greenhouse.source, greenhouse.succeeded, greenhouse.new) == ("greenhouse", 1, 3)
    assert metrics.counts.jobs_by_source == {"greenhouse": 3}
    assert metrics.open_flags == 2
    assert metrics.counts.applications_by_status == {}
    assert metrics.queues[0].queue == settings.queue_name


class _Pages(BaseHTTPRequestHandler):
    """A local site: ``/gone`` is 404, everything else 200."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""

    def do_HEAD(self) -> None:
        """Answer by path."""
        self.send_response(404 if self.path.startswith("/gone") else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_dead_apply_links_are_flagged_through_the_real_checker(settings, db, redis_client):
    """A 404 apply link on a local site becomes a dead-link flag; loopback is allowed only here."""
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    port = site.server_address[1]
    jobs = make_greenhouse_jobs("acme", 2)
    jobs[0]["absolute_url"] = f"http://127.0.0.1:{port}/gone/1"
    jobs[1]["absolute_url"] = f"http://127.0.0.1:{port}/here/2"
    try:
        with running_fake_greenhouse({"acme": jobs}) as server:
            container = build_container(attrs.evolve(settings, greenhouse_base_url=server.base_url))
            try:
                run = container.queue_ingestion()(
                    StartIngestion(SourceSpec("greenhouse", (("board", "acme"),)))
                )
                assert run is not None
                execute_ingestion(container, str(run.id))
                refusing = HttpLinkChecker(container.http_client())
                assert refusing.check(f"http://127.0.0.1:{port}/gone/1").refused
                container.link_checker.override(
                    HttpLinkChecker(container.http_client(), allowed_networks=["127.0.0.0/8"])
                )
                stored = container.get_ingestion()(run.id)
                dead = container.check_apply_links()(CheckLinks(stored.started_at))
                flags = container.list_flags()(
                    ADMIN, FlagQuery(rule=FlagRule.DEAD_LINK), PageRequest()
                )
            finally:
                container.shutdown_resources()
    finally:
        site.shutdown()
        site.server_close()
    assert dead == 1
    (item,) = flags.items
    assert item.job is not None
    assert item.job.apply_url == f"http://127.0.0.1:{port}/gone/1"
    assert dict(item.flag.evidence)["status_code"] == "404"


def test_worker_tasks_and_vendor_calls_reach_metrics_through_redis(
    settings, db, redis_client, monkeypatch
):
    """A real worker's job and its Greenhouse calls show up in any process's /metrics."""
    with running_fake_greenhouse({"acme": make_greenhouse_jobs("acme", 1)}) as server:
        configured = attrs.evolve(settings, greenhouse_base_url=server.base_url)
        for name, value in (
            ("DATABASE_URL", settings.database_url),
            ("REDIS_URL", settings.redis_url),
            ("JOBRAKER_DATA_DIR", str(settings.data_dir)),
            ("JOBRAKER_GREENHOUSE_BASE_URL", server.base_url),
            ("JOBRAKER_DB_POOL_MAX", "2"),
        ):
            monkeypatch.setenv(name, value)
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        container = build_container(configured)
        try:
            container.queue_ingestion()(
                StartIngestion(SourceSpec("greenhouse", (("board", "acme"),)))
            )
            run_worker(configured, burst=True, worker_class=SimpleWorker)
            text = generate_latest(ProcessMetrics(container.fleet_metrics()).registry).decode()
        finally:
            container.shutdown_resources()
            for sig, handler in saved.items():
                signal.signal(sig, handler)
    assert 'task="jobraker_workers.tasks.run_ingestion"' in text
    assert 'task="jobraker_workers.moderation_tasks.moderate_ingestion"' in text
    assert 'jobraker_external_call_duration_seconds_count{vendor="greenhouse"} 1.0' in text
    assert 'jobraker_ingestion_runs{source="greenhouse",status="succeeded"} 1.0' in text
    assert 'jobraker_ingested_records{outcome="new",source="greenhouse"} 1.0' in text
    assert 'jobraker_metrics_scrape_errors{part="queue"} 0.0' in text
