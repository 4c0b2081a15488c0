"""Admin moderation queue, source health, platform metrics, and the protected ``/metrics``."""

from __future__ import annotations

import re
from pathlib import Path

from auth_helpers import bearer, log_in
from litestar.testing import TestClient

from contract.builders import make_job
from jobraker_adapters.container import build_memory_container
from jobraker_adapters.metrics import record_task
from jobraker_adapters.settings import Settings
from jobraker_core.accounts.identity import Role
from jobraker_core.moderation.use_cases import ModerateSince
from jobraker_http import create_app

FLAGS = "/api/v1/admin/moderation/flags/"


def _flag_jobs(container, *jobs):
    with container.uow()() as unit:
        unit.jobs.save(list(jobs))
        unit.commit()
    container.moderate_jobs()(ModerateSince(min(job.last_seen for job in jobs)))


def test_admins_work_the_queue_and_decisions_are_audited(anonymous_client, container):
    """List open flags with evidence, dismiss one, confirm another; both land in the audit log."""
    _, admin = log_in(container, role=Role.ADMIN)
    headers = bearer(admin.access_token)
    test = make_job("Test posting - do not apply", company="Acme")
    scam = make_job(description="Pay a registration fee before you start.", company="Shady")
    _flag_jobs(container, test, scam)

    listed = anonymous_client.get(FLAGS, headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["meta"]["pagination"]["total"] == 2
    by_rule = {item["rule"]: item for item in body["data"]}
    assert by_rule["scam_payment"]["evidence"]["phrase"].lower() == "registration fee"
    assert by_rule["test_posting"]["job"]["title"] == "Test posting - do not apply"

    dismissed = anonymous_client.post(
        f"{FLAGS}{by_rule['test_posting']['id']}/review/",
        json={"decision": "dismiss", "note": "their sandbox"},
        headers=headers,
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["data"]["status"] == "dismissed"
    confirmed = anonymous_client.post(
        f"{FLAGS}{by_rule['scam_payment']['id']}/review/",
        json={"decision": "confirm"},
        headers=headers,
    )
    assert confirmed.json()["data"]["status"] == "confirmed"
    again = anonymous_client.post(
        f"{FLAGS}{by_rule['scam_payment']['id']}/review/",
        json={"decision": "dismiss"},
        headers=headers,
    )
    assert again.status_code == 409
    assert anonymous_client.get(FLAGS, headers=headers).json()["data"] == []
    every = anonymous_client.get(f"{FLAGS}?status=any&rule=scam_payment", headers=headers).json()
    assert [item["status"] for item in every["data"]] == ["confirmed"]
    audit = anonymous_client.get("/api/v1/admin/audit/", headers=headers).json()["data"]
    kinds = [event["kind"] for event in audit]
    assert "job_flag_confirmed" in kinds
    assert "job_flag_dismissed" in kinds


def test_review_refuses_bad_bodies_unknown_flags_and_users(anonymous_client, container):
    """A bad decision is 422 (or 400), an unknown flag 404, and a user 403."""
    _, admin = log_in(container, role=Role.ADMIN)
    _, user = log_in(container)
    job = make_job("Test posting - do not apply")
    _flag_jobs(container, job)
    flag_id = anonymous_client.get(FLAGS, headers=bearer(admin.access_token)).json()["data"][0][
        "id"
    ]
    url = f"{FLAGS}{flag_id}/review/"
    bad = anonymous_client.post(url, json={"decision": "maybe"}, headers=bearer(admin.access_token))
    assert bad.status_code in {400, 422}
    unknown = anonymous_client.post(
        f"{FLAGS}00000000-0000-4000-8000-000000000000/review/",
        json={"decision": "confirm"},
        headers=bearer(admin.access_token),
    )
    assert unknown.status_code == 404
    refused = anonymous_client.post(
        url, json={"decision": "confirm"}, headers=bearer(user.access_token)
    )
    assert refused.status_code == 403


def test_source_health_and_platform_metrics_for_admins(anonymous_client, container):
    """Admins read per-source health and the platform numbers; users are refused."""
    _, admin = log_in(container, role=Role.ADMIN)
    _, user = log_in(container)
    with container.uow()() as unit:
        unit.jobs.save([make_job(source="lever"), make_job(source="lever")])
        unit.commit()
    headers = bearer(admin.access_token)
    sources = anonymous_client.get("/api/v1/admin/sources/", headers=headers)
    assert sources.status_code == 200
    assert sources.json()["data"] == []
    metrics = anonymous_client.get("/api/v1/admin/metrics/", headers=headers)
    assert metrics.status_code == 200
    data = metrics.json()["data"]
    assert data["users"] == 2
    assert data["jobs_by_source"] == {"lever": 2}
    assert data["queues"][0]["queue"] == "jobraker"
    assert data["applications_by_status"] == {}
    assert data["open_flags"] == 0
    user_headers = bearer(user.access_token)
    assert anonymous_client.get("/api/v1/admin/metrics/", headers=user_headers).status_code == 403


def _metrics_app(**changes):
    settings = Settings(data_dir=Path("/nonexistent/jobraker"), **changes)
    container = build_memory_container(settings)
    return container, create_app(container)


def test_metrics_need_the_token_and_show_requests_by_route_template():
    """Without the token 401; with it, request counts by route template, method and status."""
    _, app = _metrics_app(metrics_token="s3cret-metrics")
    with TestClient(app) as client:
        client.get("/health")
        client.get("/api/v1/jobs/123e4567-e89b-12d3-a456-426614174000/")
        client.get("/no/such/path")
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=bearer("wrong")).status_code == 401
        response = client.get("/metrics", headers=bearer("s3cret-metrics"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'jobraker_http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
    assert re.search(
        r'jobraker_http_requests_total\{method="GET",route="/api/v1/jobs/\{job_id\}",'
        r'status="401"\} 1\.0',
        text,
    )
    assert 'route="unmatched",status="404"' in text
    assert (
        'jobraker_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"}'
        in text
    )
    assert 'jobraker_queue_depth{queue="jobraker",state="queued"} 0.0' in text
    assert 'jobraker_metrics_scrape_errors{part="fleet"} 0.0' in text
    assert "123e4567" not in text


def test_metrics_include_worker_tasks_and_vendor_calls_from_the_fleet_sink():
    """Task durations and external call errors recorded by workers appear per queue and vendor."""
    container, app = _metrics_app(metrics_token="t")
    sink = container.metrics_sink()
    record_task(
        sink,
        queue="jobraker",
        task="jobraker_workers.tasks.run_ingestion",
        outcome="succeeded",
        seconds=2.0,
    )
    sink.inc("jobraker_external_call_errors_total", {"vendor": "greenhouse", "kind": "http_5xx"})
    with TestClient(app) as client:
        text = client.get("/metrics", headers=bearer("t")).text
    assert (
        'jobraker_tasks_total{outcome="succeeded",queue="jobraker",'
        'task="jobraker_workers.tasks.run_ingestion"} 1.0'
    ) in text
    assert 'jobraker_task_duration_seconds_bucket{le="5.0",outcome="succeeded"' in text
    assert 'jobraker_external_call_errors_total{kind="http_5xx",vendor="greenhouse"} 1.0' in text


def test_metrics_without_a_token_are_loopback_only_and_absent_with_a_port():
    """No token: a non-loopback client is refused; a metrics port moves them off the API."""
    _, app = _metrics_app()
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 403
    _, on_port = _metrics_app(metrics_token="t", metrics_port=1)
    app_without_start = on_port
    app_without_start.on_startup.clear()
    with TestClient(app_without_start) as client:
        assert client.get("/metrics", headers=bearer("t")).status_code == 404
