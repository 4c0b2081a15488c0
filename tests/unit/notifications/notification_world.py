"""A memory container with people, and helpers to raise and deliver notification events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from jobraker_adapters.container import Container, build_memory_container
from jobraker_adapters.memory.notifications import RecordingNotifier
from jobraker_core.accounts.use_cases import CreateUser
from jobraker_core.jobs.model import JobDraft, JobPosting, Location
from jobraker_core.notifications.events import NotificationEvent, NotificationKind
from jobraker_core.notifications.model import Channel, NotificationPreferences

PASSWORD = "a long test passphrase"


def world() -> Container:
    """A fresh in-memory container (its notifiers record what they send)."""
    return build_memory_container()


def person(container: Container, email: str | None = None) -> uuid.UUID:
    """Create an account and return its id."""
    address = email or f"p-{uuid.uuid4().hex[:8]}@example.com"
    return container.create_user_account()(CreateUser(email=address, password=PASSWORD)).id


def notifier(container: Container, channel: Channel) -> RecordingNotifier:
    """The recording notifier of ``channel``."""
    (found,) = [n for n in container.notifiers() if n.channel is channel]
    assert isinstance(found, RecordingNotifier)
    return found


def raise_event(
    container: Container,
    user_id: uuid.UUID,
    *,
    kind: NotificationKind = NotificationKind.APPLICATION_STATUS,
    key: str = "a:submitted",
    title: str = "Application submitted",
    at: datetime | None = None,
) -> NotificationEvent:
    """Add an event to the outbox (committed) and return it."""
    event = NotificationEvent(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        dedupe_key=key,
        title=title,
        body="Acme Ltd · London",
        created_at=at or container.clock().now(),
        data={"job_id": str(uuid.uuid4())},
    )
    with container.uow()() as uow:
        uow.notifications.add(event)
        uow.commit()
    return event


def set_preferences(container: Container, preferences: NotificationPreferences) -> None:
    """Store ``preferences``."""
    container.replace_notification_preferences()(preferences)


NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PYTHON_JOB = "Requirements:\n- Python and Django\n- PostgreSQL\n"


def job(
    *, number: int = 1, title: str = "Senior Python Developer", description: str = PYTHON_JOB
) -> JobPosting:
    """A posting in London seen at ``NOW``, id ``UUID(int=1000 + number)``."""
    draft = JobDraft(
        source="test",
        source_id=str(number),
        title=title,
        description=description,
        company="Acme Ltd",
        location=Location(city="London", country_code="GB"),
        posted_at=NOW - timedelta(days=1),
    )
    return JobPosting.from_draft(draft, job_id=uuid.UUID(int=1000 + number), seen_at=NOW)
