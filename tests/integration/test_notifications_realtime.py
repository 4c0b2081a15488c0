"""A person on ``ws /ws/notifications/`` sees a new matching job appear after an ingestion.

Real PostgreSQL and Redis (the WebSocket's channels run on Redis Pub/Sub; the dispatcher
publishes from outside the app, as the worker does), and a local SMTP server for the e-mail.
The ingestion, the saved-search refresh and the dispatch are the worker's own task functions.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import attrs
import pytest
from litestar.testing import TestClient

from fakes.smtp_server import running_fake_smtp
from jobraker_adapters.container import build_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import JobQuery
from jobraker_core.jobs.use_cases import StartIngestion
from jobraker_core.notifications.model import realtime_channel
from jobraker_core.pagination import PageRequest
from jobraker_http import create_app
from jobraker_workers.matching_tasks import execute_saved_search_refresh
from jobraker_workers.notification_tasks import execute_dispatch
from jobraker_workers.tasks import execute_ingestion

pytestmark = pytest.mark.integration

PASSWORD = "a long test passphrase"
SEARCH = "kafka"


@pytest.fixture
def smtp():
    """A local SMTP server."""
    with running_fake_smtp() as server:
        yield server


@pytest.fixture
def container(settings, db, redis_client, smtp):
    """The production container, e-mail through the local SMTP server."""
    configured = attrs.evolve(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_from="alerts@jobraker.test",
    )
    built = build_container(configured)
    try:
        yield built
    finally:
        built.shutdown_resources()


def _wait_for_subscriber(redis_client, channel: str) -> None:
    """Wait until the app has subscribed ``channel`` on Redis (the socket is listening)."""
    for _ in range(200):
        if dict(redis_client.pubsub_numsub(channel)).get(channel.encode(), 0) >= 1:
            return
        time.sleep(0.05)
    pytest.fail(f"nobody subscribed {channel}")


def test_a_new_matching_job_reaches_the_socket_the_inbox_and_the_mailbox(
    container, redis_client, smtp
):
    """Saved search, ingest the demo corpus, refresh, dispatch: pushed live, stored, mailed."""
    ada = container.create_user_account()(CreateUser(email="ada@example.com", password=PASSWORD))
    login = container.login()(LogIn(email="ada@example.com", password=PASSWORD))
    auth = {"Authorization": f"Bearer {login.tokens.access_token}"}
    with TestClient(create_app(container)) as client:
        created = client.post(
            "/api/v1/users/saved-searches/", json={"name": "K8s", "q": SEARCH}, headers=auth
        )
        assert created.status_code == 201
        with client.websocket_connect("/ws/notifications/", headers=auth) as socket:
            assert socket.receive_json(timeout=30) == {"type": "subscribed"}
            _wait_for_subscriber(redis_client, realtime_channel(ada.id))

            run = container.queue_ingestion()(StartIngestion(SourceSpec("demo")))
            assert execute_ingestion(container, str(run.id))["status"] == "succeeded"
            refreshed = execute_saved_search_refresh(container, str(run.id))
            with container.uow()() as uow:
                expected = uow.jobs.search(JobQuery(text=SEARCH), PageRequest(per_page=100))
            assert refreshed["new_hits"] == expected.total > 0
            dispatched = execute_dispatch(container, "test")
            assert dispatched["events"] == expected.total
            assert dispatched["sent"] == 2 * expected.total  # one push, one e-mail each

            pushed = [json.loads(socket.receive_text(timeout=30)) for _ in range(expected.total)]
        job_ids = {p["data"]["job_id"] for p in pushed}
        assert job_ids == {str(job.id) for job in expected.items}
        assert {p["kind"] for p in pushed} == {"new_match"}
        assert all(p["title"].startswith("New job for “K8s”: ") for p in pushed)

        inbox = client.get("/api/v1/notifications/?unread=true", headers=auth).json()
        assert inbox["meta"]["unread"] == expected.total
        assert {i["data"]["job_id"] for i in inbox["data"]} == job_ids

        mails = smtp.wait_for(expected.total)
        assert len(mails) == expected.total
        assert {m["To"] for m in mails} == {"ada@example.com"}
        assert {m["From"] for m in mails} == {"alerts@jobraker.test"}
        titles = {job.title for job in expected.items}
        assert {m["Subject"].split(": ", 1)[1] for m in mails} == titles

        # one click in the mail turns e-mail off for new matches, without signing in
        link = mails[0]["List-Unsubscribe"].strip("<>")
        parts = urlsplit(link)
        answer = client.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 200
        assert answer.json()["data"] == {
            "kind": "new_match",
            "channel": "email",
            "unsubscribed": True,
        }
        prefs = client.get("/api/v1/notifications/preferences/", headers=auth).json()["data"]
        assert prefs["channels"]["new_match"] == {"in_app": True, "websocket": True, "email": False}
        assert prefs["email_available"] is True

        # a second dispatch finds nothing new: nothing is pushed or mailed twice
        assert execute_dispatch(container, "again")["sent"] == 0
        assert len(smtp.messages) == expected.total
