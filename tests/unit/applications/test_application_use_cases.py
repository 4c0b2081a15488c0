"""The applications use cases on the in-memory fakes and a scripted submitter."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import attrs
import pytest

from application_builders import T0, make_job, make_person, store_job
from jobraker_core.applications.limits import QuietHours
from jobraker_core.applications.model import Mode, Status
from jobraker_core.applications.packet import BankAnswer, Provenance, Topic
from jobraker_core.applications.submission import BlockSignal, RunState
from jobraker_core.applications.submitting import CancelApplicationRun, Outcome
from jobraker_core.applications.use_cases import (
    AnswerInput,
    ApplyCommand,
    ApplyToJob,
    SettingsChanges,
    TrackCommand,
    UpdateApplicationSettings,
    UpdateCommand,
)
from jobraker_core.errors import Conflict, InvalidInput, UpstreamUnavailable
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.usage import UsageKind

YEARS = "How many years of relevant experience do you have?"


def ready(world, **settings):
    """A person whose answer bank covers years of experience, so their packet is complete."""
    person = make_person(world.uow)
    with world.uow() as uow:
        uow.application_settings.put_answer(
            BankAnswer(person.user_id, Topic.YEARS_EXPERIENCE, "7", T0)
        )
        uow.commit()
    if settings:
        UpdateApplicationSettings(world.uow, world.clock)(
            person.user_id, SettingsChanges(**settings)
        )
    return person


def auto(world, person, job=None):
    """Apply automatically to ``job`` (the person's job by default)."""
    return world.apply()(ApplyCommand(person.user_id, (job or person.job).id, Mode.AUTO))


def approve(world, person, app):
    """Approve the application's current packet."""
    return world.approve()(person.user_id, app.id, app.packet.digest())


def stored(world, app):
    """The application as stored now."""
    with world.uow() as uow:
        return uow.applications.by_id(app.id)


def notifications(world, user_id, kind=None):
    """The person's notification events (of ``kind``)."""
    with world.uow() as uow:
        events = uow.outbox_tables.events.values()
        return [e for e in events if e.user_id == user_id and (kind is None or e.kind is kind)]


class TestApplying:
    """One live application per person and job; manual tracking; packets and questions."""

    def test_manual_apply_saves_and_a_second_is_a_conflict(self, world):
        """Applying twice to one job is refused while the first is live."""
        person = make_person(world.uow)
        app = world.apply()(ApplyCommand(person.user_id, person.job.id))
        assert app.status is Status.SAVED
        with pytest.raises(Conflict, match="already"):
            world.apply()(ApplyCommand(person.user_id, person.job.id, Mode.AUTO))

    def test_a_withdrawn_application_frees_the_job(self, world):
        """After withdrawing, the person may apply again."""
        person = make_person(world.uow)
        first = world.apply()(ApplyCommand(person.user_id, person.job.id))
        world.withdraw()(person.user_id, first.id)
        again = world.apply()(ApplyCommand(person.user_id, person.job.id))
        assert again.id != first.id

    def test_two_units_inserting_at_once_conflict_on_commit(self, world):
        """The memory fake mirrors the unique index: the second commit fails."""
        person = make_person(world.uow)
        from jobraker_core.applications.model import Application, Job  # noqa: PLC0415

        job = Job(key=person.job.key, title="t", company="c")
        with world.uow() as a, world.uow() as b:
            for uow in (a, b):
                app, _ = Application.start(
                    application_id=uuid.uuid4(),
                    user_id=person.user_id,
                    job=job,
                    mode=Mode.MANUAL,
                    at=T0,
                )
                uow.applications.add(app)
            a.commit()
            with pytest.raises(Conflict):
                b.commit()

    def test_sensitive_questions_are_never_generated(self, world):
        """Without a fact, years of experience parks the application in needs_user."""
        person = make_person(world.uow)
        app = world.apply()(
            ApplyCommand(
                person.user_id,
                person.job.id,
                Mode.AUTO,
                questions=("Why do you want to work here?", "What is your gender?"),
            )
        )
        assert app.status is Status.NEEDS_USER
        assert YEARS in app.packet.open_questions
        assert "What is your gender?" in app.packet.open_questions
        provenance = {a.topic: a.provenance for a in app.packet.answers}
        assert provenance[Topic.MOTIVATION] is Provenance.GENERATED
        assert provenance[Topic.WORK_AUTHORIZATION] is Provenance.PROFILE_FACT
        assert provenance[Topic.SALARY_EXPECTATION] is Provenance.PROFILE_FACT
        assert len(notifications(world, person.user_id, NotificationKind.NEEDS_USER)) == 2

    def test_answering_the_questions_moves_on_and_fills_the_bank(self, world):
        """Answered: pending approval, an approval notification, the answer saved by topic."""
        person = make_person(world.uow)
        app = auto(world, person)
        app = world.answer()(person.user_id, app.id, AnswerInput(YEARS, "7"))
        assert app.status is Status.PENDING_APPROVAL
        assert notifications(world, person.user_id, NotificationKind.APPROVAL_WAITING)
        with world.uow() as uow:
            assert (
                uow.application_settings.answers(person.user_id)[Topic.YEARS_EXPERIENCE].answer
                == "7"
            )

    def test_an_automatic_application_needs_an_apply_url_and_a_resume(self, world):
        """No apply URL: 422; no résumé: 409."""
        person = make_person(world.uow, with_resume=False)
        with pytest.raises(Conflict, match="résumé"):
            auto(world, person)
        bare = store_job(world.uow, make_job(title="Go Developer", apply_url=None))
        with pytest.raises(InvalidInput):
            auto(world, person, bare)

    def test_the_cover_letter_is_grounded_in_the_profile(self, world):
        """The letter names the job, the company and the person, and nothing invented."""
        person = ready(world)
        app = auto(world, person)
        letter = app.packet.cover_letter
        assert "Python Developer" in letter
        assert "Acme" in letter
        assert "Ada Lovelace" in letter

    def test_tracking_an_application_made_elsewhere(self, world):
        """A manual record can start at interviewing; its path is in the events."""
        person = make_person(world.uow)
        app = world.track()(
            TrackCommand(person.user_id, "Data Engineer", "Globex", status=Status.INTERVIEWING)
        )
        assert app.status is Status.INTERVIEWING
        with world.uow() as uow:
            path = [e.to_status for e in uow.applications.events(person.user_id, app.id)]
        assert path == [Status.SAVED, Status.SUBMITTED, Status.INTERVIEWING]


class TestApprovalAndSubmission:
    """Approval bound to the packet, the outbox, the claim, evidence for submitted."""

    def test_approved_application_goes_out_once_with_evidence(self, world):
        """Approve -> queued -> submitted with the confirmation; usage and notices recorded."""
        person = ready(world)
        app = auto(world, person)
        assert app.status is Status.PENDING_APPROVAL
        app = approve(world, person, app)
        assert app.status is Status.QUEUED
        assert world.run_queue() == ["recorded"]
        done = stored(world, app)
        assert done.status is Status.SUBMITTED
        assert done.run.confirmation == "CONF-123"
        assert len(world.submitter.submitted) == 1
        assert world.submitter.submitted[0].packet_hash == app.packet.digest()
        with world.uow() as uow:
            usage = uow.usage.for_subject(person.user_id, f"application:{app.id}")
        assert [(u.kind, u.quantity) for u in usage] == [(UsageKind.AUTOMATION_STEPS, 7)]
        keys = {
            e.dedupe_key
            for e in notifications(world, person.user_id, NotificationKind.APPLICATION_STATUS)
        }
        assert f"{app.id}:submitted" in keys

    def test_running_the_task_again_submits_nothing_more(self, world):
        """A duplicate task finds the application settled and skips."""
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        assert world.submit()(app.id) is Outcome.SKIPPED
        assert len(world.submitter.submitted) == 1

    def test_no_confirmation_means_unverified(self, world):
        """A completed run without evidence is submitted_unverified, and a dry run says so."""
        world.submitter.confirmation = None
        world.submitter.dry_run = True
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        done = stored(world, app)
        assert done.status is Status.SUBMITTED_UNVERIFIED
        assert done.dry_run

    def test_editing_after_approval_voids_it(self, world):
        """A new letter after approval: back to pending, and the old hash no longer approves."""
        person = ready(world)
        app = approve(world, person, auto(world, person))
        edited = world.update()(UpdateCommand(person.user_id, app.id, cover_letter="Hello"))
        assert edited.status is Status.PENDING_APPROVAL
        with pytest.raises(Conflict):
            world.approve()(person.user_id, app.id, app.packet.digest())
        assert world.run_queue() == ["skipped"]
        assert world.submitter.submitted == []

    def test_auto_approval_only_when_switched_on_from_facts_above_threshold(self, world):
        """On + facts + score 90 >= 80: queued at once; score 50: waits for the person."""
        person = ready(world, auto_approve=True, auto_approve_min_score=80.0)

        class Scores:
            def __init__(self, value):
                self.value = value

            def score(self, _user_id, _job_id):
                return self.value

        app = ApplyToJob(world.uow, world.clock, Scores(90.0), world.relay)(
            ApplyCommand(person.user_id, person.job.id, Mode.AUTO)
        )
        assert app.status is Status.QUEUED
        other = store_job(world.uow, make_job(title="Rust Developer", company="Initrode"))
        low = ApplyToJob(world.uow, world.clock, Scores(50.0), world.relay)(
            ApplyCommand(person.user_id, other.id, Mode.AUTO)
        )
        assert low.status is Status.PENDING_APPROVAL

    def test_a_generated_answer_blocks_auto_approval(self, world):
        """A generated answer needs the person's eye even with auto-approval on."""
        person = ready(world, auto_approve=True, auto_approve_min_score=0.0)

        class Scores:
            def score(self, _user_id, _job_id):
                return 99.0

        app = ApplyToJob(world.uow, world.clock, Scores(), world.relay)(
            ApplyCommand(
                person.user_id,
                person.job.id,
                Mode.AUTO,
                questions=("Why do you want to work here?",),
            )
        )
        assert app.status is Status.PENDING_APPROVAL

    def test_withdrawing_a_running_application_cancels_its_run(self, world):
        """Withdraw while the run is under way: a cancel task, and the run is cancelled."""
        world.submitter.outcome = RunState.RUNNING
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        running = stored(world, app)
        assert running.status is Status.SUBMITTING
        world.withdraw()(person.user_id, app.id)
        tasks = world.queue.take()
        assert [t.task.rsplit(".", 1)[1] for t in tasks] == ["cancel_application_run"]
        assert CancelApplicationRun(world.uow, world.submitter)(app.id)
        assert world.submitter.cancelled == [running.run.run_id]


class TestLimitsAndBreakers:
    """Per-day caps, employer spacing, quiet hours, and paused sites defer claims."""

    def test_the_daily_cap_defers_the_next_claim(self, world):
        """With 1 a day the second application waits a day, in a delayed task."""
        person = ready(world, per_day=1, employer_spacing_hours=0)
        first = approve(world, person, auto(world, person))
        other = store_job(world.uow, make_job(title="Data Engineer", company="Globex"))
        second = approve(world, person, auto(world, person, other))
        assert sorted(world.run_queue()) == ["deferred", "recorded"]
        held = (
            stored(world, second)
            if stored(world, first).status is Status.SUBMITTED
            else stored(world, first)
        )
        assert held.status is Status.QUEUED
        assert held.not_before is not None
        delayed = world.queue.take()
        assert delayed
        assert delayed[0].delay_seconds > 0
        world.clock.advance(days=1, minutes=1)
        assert world.submit()(held.id) is Outcome.RECORDED

    def test_quiet_hours_hold_submissions(self, world):
        """At noon with quiet hours 11:00-13:00, the claim waits until 13:00."""
        person = ready(world, quiet_hours=QuietHours(time(11), time(13)))
        app = approve(world, person, auto(world, person))
        assert world.run_queue() == ["deferred"]
        assert stored(world, app).not_before == T0.replace(hour=13)

    def test_spacing_per_employer(self, world):
        """A second application to the same employer within the spacing waits."""
        person = ready(world, employer_spacing_hours=48)
        approve(world, person, auto(world, person))
        world.run_queue()
        other = store_job(world.uow, make_job(title="Senior Python Developer", company="ACME Inc."))
        approve(world, person, auto(world, person, other))
        assert world.run_queue() == ["deferred"]

    def test_a_block_signal_opens_the_site_breaker(self, world):
        """A CAPTCHA fails the run, pauses the site, notifies, and defers the next one there."""
        world.submitter.outcome = RunState.FAILED
        world.submitter.blocked_by = BlockSignal.CAPTCHA
        person = ready(world, employer_spacing_hours=0)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        failed = stored(world, app)
        assert failed.status is Status.FAILED
        assert "blocked" in failed.failure_reason
        with world.uow() as uow:
            breaker = uow.site_breakers.get("jobs.acme.example")
        assert breaker.is_open(T0)
        assert notifications(world, person.user_id, NotificationKind.SITE_PAUSED)
        other = store_job(world.uow, make_job(title="Data Engineer", company="Acme Data"))
        approve(world, person, auto(world, person, other))
        assert world.run_queue() == ["deferred"]


class TestCrashesAndReports:
    """Reports apply once and never backwards; crashes are looked up, not guessed."""

    def test_the_same_report_five_times_is_one_transition(self, world):
        """Replays of a terminal report change nothing and notify once."""
        world.submitter.outcome = RunState.RUNNING
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        run_id = stored(world, app).run.run_id
        report = world.submitter.finish(run_id)
        outcomes = [world.record()(report, source="webhook").outcome for _ in range(5)]
        assert outcomes == [Outcome.RECORDED] + [Outcome.IGNORED] * 4
        with world.uow() as uow:
            events = uow.applications.events(person.user_id, app.id)
        assert [e.to_status for e in events].count(Status.SUBMITTED) == 1
        assert (
            len(
                [
                    e
                    for e in notifications(world, person.user_id)
                    if e.dedupe_key.endswith(":submitted")
                ]
            )
            == 1
        )

    def test_an_older_state_after_a_terminal_one_is_ignored(self, world):
        """Running after completed changes nothing."""
        world.submitter.outcome = RunState.QUEUED
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        run_id = stored(world, app).run.run_id
        world.record()(world.submitter.finish(run_id, RunState.COMPLETED))
        late = attrs.evolve(
            world.submitter.status(run_id), state=RunState.RUNNING, confirmation=None
        )
        assert world.record()(late).outcome is Outcome.IGNORED
        assert stored(world, app).status is Status.SUBMITTED

    def test_a_crash_after_the_vendor_started_is_found_not_resubmitted(self, world):
        """The submit call dies after the run started; the recovery finds the run and settles."""
        world.submitter.fail_submit = UpstreamUnavailable("timeout", service="skyvern")
        world.submitter.fail_after_start = True
        person = ready(world)
        app = approve(world, person, auto(world, person))
        with pytest.raises(UpstreamUnavailable):
            world.run_queue()
        assert stored(world, app).status is Status.SUBMITTING
        world.submitter.fail_submit = None
        assert world.submit()(app.id) is Outcome.SKIPPED  # too early: the first try may live
        world.clock.advance(minutes=11)
        assert world.submit()(app.id) is Outcome.RECORDED
        assert stored(world, app).status is Status.SUBMITTED
        assert len(world.submitter.runs) == 1

    def test_an_uncertain_lookup_parks_for_review(self, world):
        """When the submitter cannot tell, the application waits for the person."""
        world.submitter.fail_submit = UpstreamUnavailable("timeout", service="skyvern")
        world.submitter.certain = False
        person = ready(world)
        app = approve(world, person, auto(world, person))
        with pytest.raises(UpstreamUnavailable):
            world.run_queue()
        world.submitter.fail_submit = None
        world.clock.advance(minutes=11)
        assert world.submit()(app.id) is Outcome.REVIEW
        assert stored(world, app).status is Status.NEEDS_REVIEW
        assert len(world.submitter.submitted) == 1

    def test_the_reconciler_settles_a_run_whose_webhook_was_lost(self, world):
        """A run that finished without telling us is polled and settled."""
        world.submitter.outcome = RunState.RUNNING
        person = ready(world)
        app = approve(world, person, auto(world, person))
        world.run_queue()
        world.submitter.finish(stored(world, app).run.run_id)
        assert world.reconcile()() == 0  # not stale yet
        world.clock.advance(minutes=6)
        assert world.reconcile()() == 1
        assert stored(world, app).status is Status.SUBMITTED

    def test_the_reconciler_requeues_an_orphaned_claim(self, world):
        """A claim whose worker died is queued again after a while, then recovered."""
        world.submitter.fail_submit = UpstreamUnavailable("down", service="skyvern")
        person = ready(world)
        app = approve(world, person, auto(world, person))
        with pytest.raises(UpstreamUnavailable):
            world.run_queue()
        world.submitter.fail_submit = None
        world.clock.advance(minutes=11)
        assert world.reconcile()() == 1
        world.relay()
        assert world.run_queue() == ["recorded"]
        assert stored(world, app).status is Status.SUBMITTED

    def test_the_queue_being_down_leaves_tasks_in_the_outbox(self, world):
        """Approval commits with the queue down; the next relay hands the task over."""
        world.queue.down = True
        person = ready(world)
        app = approve(world, person, auto(world, person))
        assert app.status is Status.QUEUED
        world.queue.down = False
        assert world.relay() == 1
        assert world.run_queue() == ["recorded"]


def test_analytics_count_each_stage_reached(world):
    """Two applied, one interviewed then rejected: rates and breakdowns add up."""
    person = make_person(world.uow)
    track = world.track()
    a = track(TrackCommand(person.user_id, "A", "Acme", status=Status.SUBMITTED))
    track(TrackCommand(person.user_id, "B", "Globex", status=Status.SUBMITTED))
    track(TrackCommand(person.user_id, "C", "Initech"))
    world.update()(UpdateCommand(person.user_id, a.id, status=Status.INTERVIEWING))
    world.update()(UpdateCommand(person.user_id, a.id, status=Status.REJECTED))
    result = world.analytics()(person.user_id)
    assert (
        result.funnel.applied,
        result.funnel.responded,
        result.funnel.interview,
        result.funnel.offer,
    ) == (2, 1, 1, 0)
    assert result.funnel.response_rate == 0.5
    assert {g.key: g.funnel.applied for g in result.by_employer} == {
        "Acme": 1,
        "Globex": 1,
        "Initech": 0,
    }
    assert sum(p.funnel.applied for p in result.weekly) == 2


def test_a_person_retries_an_application_in_review(world):
    """needs_review -> queued by the person queues a new attempt, which goes through."""
    world.submitter.fail_submit = UpstreamUnavailable("timeout", service="skyvern")
    world.submitter.certain = False
    person = ready(world)
    app = approve(world, person, auto(world, person))
    with pytest.raises(UpstreamUnavailable):
        world.run_queue()
    world.submitter.fail_submit = None
    world.clock.advance(minutes=11)
    assert world.submit()(app.id) is Outcome.REVIEW
    world.update()(
        UpdateCommand(person.user_id, app.id, status=Status.QUEUED, reason="nothing arrived")
    )
    world.relay()
    assert world.run_queue() == ["recorded"]
    assert stored(world, app).status is Status.SUBMITTED


def test_a_rate_limited_start_is_queued_again_later(world):
    """The submitter says 429 before starting: back to queued, held for Retry-After, then sent."""
    from jobraker_core.errors import RateLimited  # noqa: PLC0415 - only this test

    world.submitter.fail_submit = RateLimited("slow down", service="skyvern", retry_after=120)
    person = ready(world)
    app = approve(world, person, auto(world, person))
    assert world.run_queue() == ["deferred"]
    held = stored(world, app)
    assert held.status is Status.QUEUED
    assert held.run is None
    assert held.not_before == T0 + timedelta(seconds=120)
    world.submitter.fail_submit = None
    world.clock.advance(minutes=3)
    assert world.submit()(app.id) is Outcome.RECORDED
    assert stored(world, app).status is Status.SUBMITTED


def test_a_submission_that_never_started_is_queued_again_not_reviewed(world):
    """The submitter was unreachable before sending: back to queued, no lookup, no review."""
    from jobraker_core.applications.submission import SubmissionNotStarted  # noqa: PLC0415

    world.submitter.fail_submit = SubmissionNotStarted("connection refused", service="skyvern")
    world.submitter.certain = False  # a lookup would park it for review
    person = ready(world)
    app = approve(world, person, auto(world, person))
    assert world.run_queue() == ["deferred"]
    held = stored(world, app)
    assert held.status is Status.QUEUED
    assert held.run is None
    assert held.not_before == T0 + timedelta(minutes=5)
    with world.uow() as uow:
        history = uow.applications.events(person.user_id, app.id)
    assert history[-1].to_status is Status.QUEUED
    assert "nothing was sent" in history[-1].reason
    world.submitter.fail_submit = None
    world.clock.advance(minutes=6)
    assert world.submit()(app.id) is Outcome.RECORDED
    assert stored(world, app).status is Status.SUBMITTED
    keys = [e.dedupe_key for e in notifications(world, person.user_id)]
    assert not any(key.endswith(":needs_review") for key in keys)
