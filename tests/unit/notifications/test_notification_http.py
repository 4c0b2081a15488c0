"""Notification and market routes over the in-memory container."""

from __future__ import annotations

import uuid
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from notification_world import PASSWORD, notifier, raise_event

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory.privacy import erase_from_store
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.jobs.model import JobDraft, JobPosting, Location
from jobraker_core.jobs.salary import Salary
from jobraker_core.notifications.model import Channel, NotificationPreferences, realtime_channel
from jobraker_http import create_app

INBOX = "/api/v1/notifications/"
PREFS = "/api/v1/notifications/preferences/"


@pytest.fixture
def world():
    """A container, a client, and a signed-in person."""
    container = build_memory_container()
    user = container.create_user_account()(CreateUser(email="n@example.com", password=PASSWORD))
    tokens = container.login()(LogIn(email="n@example.com", password=PASSWORD)).tokens
    with TestClient(create_app(container)) as client:
        yield container, client, user.id, {"Authorization": f"Bearer {tokens.access_token}"}


def test_every_route_but_unsubscribe_needs_a_token(world):
    """401 without a token; the unsubscribe link answers 400 for a bad token, not 401."""
    _, client, _, _ = world
    some = uuid.uuid4()
    for method, path in (
        ("GET", INBOX),
        ("POST", f"{INBOX}{some}/read/"),
        ("POST", f"{INBOX}read-all/"),
        ("GET", PREFS),
        ("PUT", PREFS),
        ("GET", "/api/v1/market/salaries/"),
        ("GET", "/api/v1/market/trends/"),
    ):
        assert client.request(method, path).status_code == 401, path
    assert client.get(f"{INBOX}unsubscribe/?token=nonsense").status_code == 400


def test_inbox_lists_marks_read_and_reads_all(world):
    """Newest first with the unread count; read one (404 for a stranger's id); read all."""
    container, client, user_id, auth = world
    first = raise_event(container, user_id, key="1")
    container.clock().advance(minutes=1)
    second = raise_event(container, user_id, key="2")
    container.dispatch_notifications()()
    listed = client.get(INBOX, headers=auth).json()
    assert [i["id"] for i in listed["data"]] == [str(second.id), str(first.id)]
    assert listed["meta"]["unread"] == 2
    assert listed["meta"]["pagination"]["total"] == 2
    read = client.post(f"{INBOX}{first.id}/read/", headers=auth)
    assert read.status_code == 200
    assert read.json()["data"]["unread"] is False
    assert client.post(f"{INBOX}{uuid.uuid4()}/read/", headers=auth).status_code == 404
    assert client.post(f"{INBOX}not-an-id/read/", headers=auth).status_code == 404
    unread = client.get(f"{INBOX}?unread=true", headers=auth).json()
    assert [i["id"] for i in unread["data"]] == [str(second.id)]
    assert client.post(f"{INBOX}read-all/", headers=auth).json()["data"] == {"marked": 1}
    assert client.get(INBOX, headers=auth).json()["meta"]["unread"] == 0


def test_preferences_read_replace_and_refuse_nonsense(world):
    """Defaults, then a replacement echoed back; a bad zone or time is 422 naming the field."""
    _, client, _, auth = world
    got = client.get(PREFS, headers=auth).json()["data"]
    assert got["new_matches"] == "immediate"
    assert got["channels"]["site_paused"] == {"in_app": True, "websocket": True, "email": False}
    assert got["email_available"] is False
    wanted = {
        "channels": {"new_match": {"in_app": True, "websocket": False, "email": True}},
        "new_matches": "digest",
        "digest_hour": 7,
        "timezone": "Europe/Paris",
        "quiet_hours": {"start": "22:00", "end": "07:30"},
        "match_threshold": 80,
    }
    put = client.put(PREFS, json=wanted, headers=auth)
    assert put.status_code == 200
    data = client.get(PREFS, headers=auth).json()["data"]
    assert data["channels"]["new_match"] == wanted["channels"]["new_match"]
    assert data["channels"]["needs_user"] == {"in_app": True, "websocket": True, "email": True}
    assert (data["new_matches"], data["digest_hour"], data["timezone"]) == (
        "digest",
        7,
        "Europe/Paris",
    )
    assert data["quiet_hours"] == {"start": "22:00", "end": "07:30"}
    assert data["match_threshold"] == 80
    bad_zone = client.put(PREFS, json={"timezone": "Nowhere/Land"}, headers=auth)
    assert bad_zone.status_code == 422
    assert bad_zone.json()["errors"][0]["field"] == "timezone"
    bad_time = client.put(
        PREFS, json={"quiet_hours": {"start": "25:00", "end": "07:00"}}, headers=auth
    )
    assert bad_time.status_code == 422
    assert client.put(PREFS, json={"surprise": 1}, headers=auth).status_code == 422


def test_the_mailed_unsubscribe_link_works_without_signing_in(world):
    """GET and POST (RFC 8058) of the link turn the kind off on the channel."""
    container, client, user_id, auth = world
    raise_event(container, user_id)
    container.dispatch_notifications()()
    link = notifier(container, Channel.EMAIL).sent[0][1].unsubscribe_url
    parts = urlsplit(link)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 200
    assert answer.json()["data"] == {
        "kind": "application_status",
        "channel": "email",
        "unsubscribed": True,
    }
    assert client.post(f"{parts.path}?{parts.query}").status_code == 200
    prefs = client.get(PREFS, headers=auth).json()["data"]
    assert prefs["channels"]["application_status"]["email"] is False


def test_market_routes_answer_from_the_stored_jobs(world):
    """Salaries and trends over HTTP, after the jobs were analysed."""
    container, client, _, auth = world
    jobs = [
        JobPosting.from_draft(
            JobDraft(
                source="t",
                source_id=str(n),
                title=f"Software Engineer - Team {n}",
                description="Requirements:\n- Python\n",
                company="Acme",
                location=Location(city="London", country_code="GB"),
                salary=Salary(Decimal(50_000 + 10_000 * n), Decimal(50_000 + 10_000 * n), "GBP"),
                posted_at=container.clock().now(),
            ),
            job_id=uuid.UUID(int=n + 1),
            seen_at=container.clock().now(),
        )
        for n in range(3)
    ]
    with container.uow()() as uow:
        uow.jobs.save(jobs)
        uow.commit()
    container.analyse_market()()
    salaries = client.get(
        "/api/v1/market/salaries/", params={"title": "software developer"}, headers=auth
    ).json()["data"]
    assert salaries["occupation"]["title"] == "Software Developers"
    (stats,) = salaries["salaries"]
    assert (stats["currency"], stats["jobs"], stats["median"], stats["p25"]) == (
        "GBP",
        3,
        60000,
        55000,
    )
    assert salaries["external"] is None
    trends = client.get("/api/v1/market/trends/", params={"weeks": 2}, headers=auth).json()["data"]
    assert trends["titles"] == [{"name": "Software Developers", "total": 3, "counts": [0, 3]}]
    assert trends["top_employers"] == [{"name": "Acme", "jobs": 3}]
    assert (
        client.get("/api/v1/market/trends/", params={"weeks": 500}, headers=auth).status_code == 400
    )
    assert (
        client.get("/api/v1/market/salaries/", params={"country": "GBR"}, headers=auth).status_code
        == 400
    )


def test_the_socket_needs_a_token_and_relays_what_is_published_for_its_person(world):
    """No token: closed 4401. Signed in: what is published on the person's channel arrives."""
    _, client, user_id, auth = world
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws/notifications/"),
    ):
        pass
    assert refused.value.code == 4401
    plugin = client.app.plugins.get(ChannelsPlugin)
    with client.websocket_connect("/ws/notifications/", headers=auth) as socket:
        assert socket.receive_json(timeout=10) == {"type": "subscribed"}
        client.blocking_portal.call(
            plugin.wait_published, {"hello": "there"}, [realtime_channel(user_id)]
        )
        assert socket.receive_json(timeout=10) == {"hello": "there"}


def test_export_and_erasure_cover_the_notification_tables(world):
    """A person's preferences, inbox and deliveries are exported, then erased with the account."""
    container, _, user_id, _ = world
    container.replace_notification_preferences()(
        NotificationPreferences(user_id, match_threshold=50)
    )
    raise_event(container, user_id)
    container.dispatch_notifications()()
    with container.uow()() as uow:
        sections = {s.name: s for s in uow.personal_data.export(user_id)}
    for name in ("notification_preferences", "notification_inbox", "notification_deliveries"):
        assert len(sections[name].records) >= 1, name
    store = container.uow().store
    erase_from_store(store, user_id)
    assert store.notices.of_user(user_id) == {
        "notification_preferences": [],
        "notification_inbox": [],
        "notification_deliveries": [],
    }
