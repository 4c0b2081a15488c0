"""The applications ports, on the in-memory fakes and on PostgreSQL (migration 0020)."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import attrs
import pytest

from application_builders import T0, make_person
from jobraker_core.applications.limits import ApplicationSettings, QuietHours, SiteBreaker
from jobraker_core.applications.model import (
    Actor,
    Application,
    Contact,
    Interview,
    Job,
    Mode,
    Reminder,
    Run,
    Status,
    Tracking,
)
from jobraker_core.applications.packet import Answer, BankAnswer, Packet, Provenance, Topic
from jobraker_core.applications.ports import ApplicationFilter, TaskMessage
from jobraker_core.applications.submission import Applicant, BlockSignal, RunState
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import PageRequest


@pytest.fixture
def user_id(uow_factory):
    """A stored person."""
    return make_person(uow_factory).user_id


def new_app(user_id, key="k1", *, company="Acme", source="feed", at=T0) -> Application:
    """A saved application to job ``key``."""
    job = Job(
        key=key,
        title="Python Developer",
        company=company,
        source=source,
        apply_url="https://acme.example/a",
    )
    return Application.start(
        application_id=uuid.uuid4(), user_id=user_id, job=job, mode=Mode.AUTO, at=at
    )[0]


def add(uow_factory, app):
    """Store ``app`` with its creation event."""
    with uow_factory() as uow:
        uow.applications.add(app)
        uow.applications.add_event(app.event(Actor.USER, None, app.status, "saved", app.created_at))
        uow.commit()
    return app


def full_packet() -> Packet:
    """A packet with every part filled in."""
    return Packet(
        applicant=Applicant("Ada Lovelace", "ada@example.com", "+44 1", "London"),
        resume_id=uuid.uuid4(),
        resume_version=2,
        resume_filename="cv.pdf",
        resume_text="text é",
        cover_letter="Dear Acme",
        answers=(Answer("Visa?", "No", Topic.SPONSORSHIP, Provenance.PROFILE_FACT),),
        open_questions=("How many years of experience?",),
    )


class TestApplications:
    """Storage, the live-per-job constraint, versions and claims."""

    def test_round_trip_of_every_attribute(self, uow_factory, user_id):
        """An application with packet, run and notes comes back equal (version raised)."""
        app = add(uow_factory, new_app(user_id))
        tracking = Tracking(
            notes="called",
            contacts=(Contact("Bob", "Recruiter", "bob@acme.example", None),),
            interviews=(Interview(T0 + timedelta(days=2), "technical", None),),
            reminders=(Reminder(T0 + timedelta(days=1), "follow up"),),
        )
        with uow_factory() as uow:
            current = uow.applications.get(user_id, app.id, for_update=True)
            moved, _ = current.move(
                Status.DRAFT,
                actor=Actor.SYSTEM,
                at=T0,
                reason="r",
                packet=full_packet(),
                tracking=tracking,
                match_score=81.5,
            )
            saved = uow.applications.save(moved)
            uow.commit()
        with uow_factory() as uow:
            again = uow.applications.get(user_id, app.id)
        assert again == saved
        assert again.version == app.version + 1
        assert (
            again.packet.digest() == full_packet().digest() or again.packet.resume_text == "text é"
        )

    def test_another_persons_application_is_not_found(self, uow_factory, user_id):
        """Get by another user raises NotFound; events come back empty."""
        app = add(uow_factory, new_app(user_id))
        with uow_factory() as uow, pytest.raises(NotFound):
            uow.applications.get(uuid.uuid4(), app.id)
        with uow_factory() as uow:
            assert list(uow.applications.events(uuid.uuid4(), app.id)) == []

    def test_one_live_application_per_job_key(self, uow_factory, user_id):
        """A second live one is a conflict; after withdrawing, a new one is accepted."""
        first = add(uow_factory, new_app(user_id))
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.applications.add(new_app(user_id))
        with uow_factory() as uow:
            current = uow.applications.get(user_id, first.id)
            uow.applications.save(
                current.move(Status.WITHDRAWN, actor=Actor.USER, at=T0, reason="r")[0]
            )
            uow.commit()
        add(uow_factory, new_app(user_id))
        with uow_factory() as uow:
            assert uow.applications.live_for_job(user_id, "k1").id != first.id

    def test_a_stale_save_is_a_conflict(self, uow_factory, user_id):
        """Saving a version that changed meanwhile fails."""
        app = add(uow_factory, new_app(user_id))
        with uow_factory() as uow:
            uow.applications.save(app.move(Status.DRAFT, actor=Actor.USER, at=T0, reason="r")[0])
            uow.commit()
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.applications.save(
                app.move(Status.WITHDRAWN, actor=Actor.USER, at=T0, reason="r")[0]
            )

    def test_a_claim_takes_only_a_queued_application(self, uow_factory, user_id):
        """Claiming a saved one gives None; a queued one is claimed once."""
        app = add(uow_factory, new_app(user_id))
        run = Run(uuid.uuid4(), T0)
        claimed = attrs.evolve(app, status=Status.SUBMITTING, run=run)
        with uow_factory() as uow:
            assert uow.applications.claim(claimed) is None
            queued = uow.applications.save(attrs.evolve(app, status=Status.QUEUED))
            uow.commit()
        with uow_factory() as uow:
            stored = uow.applications.claim(attrs.evolve(queued, status=Status.SUBMITTING, run=run))
            assert stored is not None
            assert stored.version == queued.version + 1
            uow.commit()
        with uow_factory() as uow:
            assert (
                uow.applications.claim(attrs.evolve(queued, status=Status.SUBMITTING, run=run))
                is None
            )

    def test_list_filters_and_pages_newest_first(self, uow_factory, user_id):
        """Status, company (folded), source and dates filter; pages are newest first."""
        for i in range(5):
            add(
                uow_factory,
                new_app(
                    user_id,
                    f"k{i}",
                    company="Acme Inc." if i % 2 else "Globex",
                    source="feed" if i < 3 else "adzuna",
                    at=T0 + timedelta(days=i),
                ),
            )
        with uow_factory() as uow:
            page = uow.applications.list(user_id, ApplicationFilter(), PageRequest(1, 2))
            assert page.total == 5
            assert [a.job.key for a in page.items] == ["k4", "k3"]
            assert (
                uow.applications.list(
                    user_id, ApplicationFilter(company="acme"), PageRequest()
                ).total
                == 2
            )
            assert (
                uow.applications.list(
                    user_id, ApplicationFilter(source="adzuna"), PageRequest()
                ).total
                == 2
            )
            dated = ApplicationFilter(
                created_from=T0 + timedelta(days=1), created_to=T0 + timedelta(days=3)
            )
            assert uow.applications.list(user_id, dated, PageRequest()).total == 2
            assert (
                uow.applications.list(
                    user_id, ApplicationFilter(statuses=(Status.OFFER,)), PageRequest()
                ).total
                == 0
            )
            assert (
                uow.applications.list(uuid.uuid4(), ApplicationFilter(), PageRequest()).total == 0
            )

    def test_stuck_and_claims(self, uow_factory, user_id):
        """Stuck finds old queued ones; claims_since finds recent claims."""
        app = add(uow_factory, new_app(user_id))
        with uow_factory() as uow:
            queued = uow.applications.save(attrs.evolve(app, status=Status.QUEUED))
            uow.commit()
        with uow_factory() as uow:
            assert [
                a.id
                for a in uow.applications.stuck(
                    [Status.QUEUED], before=T0 + timedelta(minutes=1), limit=10
                )
            ] == [app.id]
            assert uow.applications.stuck([Status.QUEUED], before=T0, limit=10) == []
        with uow_factory() as uow:
            uow.applications.save(
                attrs.evolve(
                    queued,
                    status=Status.SUBMITTING,
                    run=Run(uuid.uuid4(), T0, "run-1", RunState.RUNNING),
                )
            )
            uow.commit()
        with uow_factory() as uow:
            assert [a.id for a in uow.applications.claims_since(user_id, T0)] == [app.id]
            assert uow.applications.by_run("run-1").id == app.id
            assert uow.applications.by_run("run-2") is None

    def test_due_reminders_are_found_until_they_are_notified(self, uow_factory, user_id):
        """Only applications with a due, unnotified reminder come back, earliest first."""
        due_soon = Reminder(T0 - timedelta(hours=2), "call")
        due_later = Reminder(T0 - timedelta(hours=1), "write")
        future = Reminder(T0 + timedelta(days=1), "later")
        apps = {}
        for key, reminders in {
            "r1": (due_later, future),
            "r2": (due_soon,),
            "r3": (future,),
            "r4": (),
        }.items():
            app = add(uow_factory, new_app(user_id, key))
            with uow_factory() as uow:
                current = uow.applications.get(user_id, app.id, for_update=True)
                noted, _ = current.note(
                    actor=Actor.USER, at=T0, reason="r", tracking=Tracking(reminders=reminders)
                )
                apps[key] = uow.applications.save(noted)
                uow.commit()

        def found(now):
            with uow_factory() as uow:
                hits = uow.applications.due_reminders(now, limit=1000)
                return [a.id for a in hits if a.user_id == user_id]

        assert found(T0) == [apps["r2"].id, apps["r1"].id]
        with uow_factory() as uow:
            current = uow.applications.get(user_id, apps["r2"].id, for_update=True)
            marked, _ = current.note(
                actor=Actor.SYSTEM, at=T0, reason="r", tracking=current.tracking.reminded(T0)
            )
            uow.applications.save(marked)
            uow.commit()
        assert found(T0) == [apps["r1"].id]
        with uow_factory() as uow:
            again = uow.applications.get(user_id, apps["r2"].id)
        assert again.tracking.reminders[0].notified_at == T0
        assert again.tracking.reminders[0].id == due_soon.id
        assert found(T0 + timedelta(days=2)) == [apps["r1"].id, apps["r3"].id]

    def test_events_are_kept_in_order_and_go_with_the_application(self, uow_factory, user_id):
        """Events come back oldest first (ties in insertion order) and are deleted with it."""
        app = add(uow_factory, new_app(user_id))
        with uow_factory() as uow:
            moved, event = app.move(
                Status.DRAFT, actor=Actor.SYSTEM, at=T0, reason="drafted", data={"a": "b"}
            )
            uow.applications.save(moved)
            uow.applications.add_event(event)
            uow.commit()
        with uow_factory() as uow:
            events = uow.applications.events(user_id, app.id)
            assert [e.to_status for e in events] == [Status.SAVED, Status.DRAFT]
            assert events[1].data == (("a", "b"),)
            assert len(uow.applications.events_of_user(user_id)) == 2
            assert uow.applications.delete(user_id, app.id)
            uow.commit()
        with uow_factory() as uow:
            assert list(uow.applications.events(user_id, app.id)) == []
            assert not uow.applications.delete(user_id, app.id)


class TestSettingsBreakersOutbox:
    """Settings and answers per person, breakers per site, unique relayed tasks."""

    def test_settings_default_then_round_trip(self, uow_factory, user_id):
        """Defaults until set; quiet hours and time zone come back."""
        with uow_factory() as uow:
            assert uow.application_settings.get(user_id) == ApplicationSettings.default(user_id)
            assert uow.application_settings.get(
                user_id, for_update=True
            ) == ApplicationSettings.default(user_id)
            chosen = ApplicationSettings(
                user_id,
                per_day=3,
                employer_spacing_hours=2,
                quiet_hours=QuietHours(time(22), time(7)),
                timezone="Europe/London",
                auto_approve=True,
                auto_approve_min_score=90.0,
                updated_at=T0,
            )
            uow.application_settings.put(chosen)
            uow.commit()
        with uow_factory() as uow:
            assert uow.application_settings.get(user_id) == chosen

    def test_answer_bank_by_topic(self, uow_factory, user_id):
        """One answer per topic, replaced by a newer one, deleted once."""
        with uow_factory() as uow:
            uow.application_settings.put_answer(BankAnswer(user_id, Topic.SPONSORSHIP, "No", T0))
            uow.application_settings.put_answer(BankAnswer(user_id, Topic.SPONSORSHIP, "Never", T0))
            uow.commit()
        with uow_factory() as uow:
            assert uow.application_settings.answers(user_id)[Topic.SPONSORSHIP].answer == "Never"
            assert uow.application_settings.delete_answer(user_id, Topic.SPONSORSHIP)
            assert not uow.application_settings.delete_answer(user_id, Topic.SPONSORSHIP)

    def test_breakers_round_trip(self, uow_factory):
        """A closed breaker when none is stored; an opened one comes back."""
        with uow_factory() as uow:
            assert uow.site_breakers.get("acme.example", for_update=True) == SiteBreaker(
                "acme.example"
            )
            opened = SiteBreaker("acme.example").failed(T0, BlockSignal.CAPTCHA)
            uow.site_breakers.put(opened)
            uow.commit()
        with uow_factory() as uow:
            assert uow.site_breakers.get("acme.example") == opened
            assert list(uow.site_breakers.all()) == [opened]

    def test_outbox_stores_a_job_id_once_and_relays_oldest_first(self, uow_factory):
        """A duplicate job id is refused; relayed tasks leave the pending list."""
        first = TaskMessage(uuid.uuid4(), "t.a", ("1",), "job-1", T0)
        later = TaskMessage(
            uuid.uuid4(),
            "t.b",
            ("2",),
            "job-2",
            T0 + timedelta(seconds=1),
            not_before=T0 + timedelta(hours=1),
        )
        with uow_factory() as uow:
            assert uow.task_outbox.add(first)
            assert uow.task_outbox.add(later)
            assert not uow.task_outbox.add(attrs.evolve(first, id=uuid.uuid4()))
            uow.commit()
        with uow_factory() as uow:
            assert list(uow.task_outbox.pending(10)) == [first, later]
            uow.task_outbox.mark_relayed(first.id, T0)
            uow.commit()
        with uow_factory() as uow:
            assert list(uow.task_outbox.pending(10)) == [later]
