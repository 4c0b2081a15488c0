"""The application state machine: legal moves only, events for each, terminal states absorbing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application_builders import T0
from jobraker_core.applications.model import (
    FINAL,
    TERMINAL,
    TRANSITIONS,
    Actor,
    Application,
    InvalidTransition,
    Job,
    Mode,
    Status,
    allowed,
)
from jobraker_core.applications.packet import Packet
from jobraker_core.applications.submission import Applicant
from jobraker_core.errors import Conflict

JOB = Job(key="k1", title="Python Developer", company="Acme", apply_url="https://acme.example/a")


def new_app() -> Application:
    """A fresh saved application."""
    return Application.start(
        application_id=uuid.uuid4(), user_id=uuid.uuid4(), job=JOB, mode=Mode.AUTO, at=T0
    )[0]


def packet(letter: str = "Dear Acme") -> Packet:
    """A small packet."""
    return Packet(
        applicant=Applicant("Ada", "ada@example.com"),
        resume_id=None,
        resume_version=1,
        resume_filename="cv.txt",
        resume_text="cv",
        cover_letter=letter,
    )


moves = st.lists(
    st.tuples(st.sampled_from(list(Status)), st.sampled_from(list(Actor))), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(moves)
def test_no_sequence_of_moves_reaches_an_illegal_state(steps: list[tuple[Status, Actor]]) -> None:
    """Every accepted move is in the table, every refused one is not, and each leaves one event."""
    app = new_app()
    events = 0
    for i, (target, actor) in enumerate(steps):
        before = app.status
        try:
            app, event = app.move(target, actor=actor, at=T0 + timedelta(minutes=i), reason="r")
        except InvalidTransition:
            assert not allowed(before, target, actor)
            assert app.status is before
            continue
        events += 1
        assert allowed(before, target, actor)
        assert (event.from_status, event.to_status, event.actor) == (before, target, actor)
        assert app.status in Status
    assert events <= len(steps)


@settings(max_examples=300, deadline=None)
@given(moves)
def test_terminal_states_are_absorbing(steps: list[tuple[Status, Actor]]) -> None:
    """Once terminal, no automatic move leaves it; once final, no move at all."""
    app = new_app()
    for i, (target, actor) in enumerate(steps):
        before = app.status
        try:
            app, _ = app.move(target, actor=actor, at=T0 + timedelta(minutes=i), reason="r")
        except InvalidTransition:
            continue
        assert not (before in TERMINAL and actor is Actor.SYSTEM)
        assert before not in FINAL


def test_the_table_never_lets_the_system_leave_a_terminal_state() -> None:
    """No transition out of a terminal state names the system; final states have none."""
    for state in TERMINAL:
        assert all(Actor.SYSTEM not in who for who in TRANSITIONS[state].values())
    for state in FINAL:
        assert TRANSITIONS[state] == {}


def test_an_illegal_move_is_a_conflict_naming_both_states() -> None:
    """Saved cannot jump to submitting: 409 with the states in the message."""
    with pytest.raises(Conflict, match="saved to submitting"):
        new_app().move(Status.SUBMITTING, actor=Actor.SYSTEM, at=T0, reason="r")


def test_a_changed_packet_voids_an_approval() -> None:
    """Approve a packet, change the letter: back to pending approval, approval void."""
    app = new_app()
    app, _ = app.move(Status.DRAFT, actor=Actor.SYSTEM, at=T0, reason="r", packet=packet())
    app, _ = app.move(Status.PENDING_APPROVAL, actor=Actor.SYSTEM, at=T0, reason="r")
    assert app.packet is not None
    app, _ = app.approve(app.packet.digest(), actor=Actor.USER, at=T0, reason="ok")
    assert app.approval_valid
    app, event = app.with_packet(packet("Dear Acme team"), actor=Actor.USER, at=T0, reason="edit")
    assert app.status is Status.PENDING_APPROVAL
    assert app.packet_hash_approved is None
    assert "void" in event.reason


def test_approval_is_bound_to_the_hash_shown() -> None:
    """Approving with the hash of another packet is a conflict."""
    app = new_app()
    app, _ = app.move(Status.DRAFT, actor=Actor.SYSTEM, at=T0, reason="r", packet=packet())
    app, _ = app.move(Status.PENDING_APPROVAL, actor=Actor.SYSTEM, at=T0, reason="r")
    with pytest.raises(Conflict, match="changed"):
        app.approve(packet("other").digest(), actor=Actor.USER, at=T0, reason="ok")


def test_the_digest_changes_with_every_part_of_the_packet() -> None:
    """Résumé text, letter and answers all feed the hash; equal packets hash alike."""
    base = packet()
    assert base.digest() == packet().digest()
    assert base.digest() != packet("x").digest()
    from attrs import evolve  # noqa: PLC0415 - local to this check

    assert base.digest() != evolve(base, resume_text="cv2").digest()


def test_reaching_applied_sets_the_date_once() -> None:
    """applied_at is set by the first applied state and kept after."""
    app = new_app()
    app, _ = app.move(Status.SUBMITTED, actor=Actor.USER, at=T0, reason="r")
    app, _ = app.move(Status.INTERVIEWING, actor=Actor.USER, at=T0 + timedelta(days=3), reason="r")
    assert app.applied_at == T0
