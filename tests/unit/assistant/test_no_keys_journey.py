"""With no keys, a new person chats about their real jobs and applications and gets true answers.

The container is the default one (local model, no network); every fact in an answer is checked
against what is stored. Changes happen only when the person confirms a proposal.
"""

from __future__ import annotations

import uuid

import pytest
from chat_world import POSTINGS, say, world

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.llm.local_assistant import LocalAssistant
from jobraker_core.applications.model import Status
from jobraker_core.applications.ports import ApplicationFilter
from jobraker_core.applications.use_cases import ApplyCommand, TrackCommand
from jobraker_core.assistant.chat import ProposalStatus
from jobraker_core.errors import Conflict
from jobraker_core.matching.use_cases import UploadResumeCommand
from jobraker_core.pagination import PageRequest


@pytest.fixture
def newcomer():
    """A container with the jobs, and a brand-new person who uploaded a résumé and applied."""
    container = world()
    person = uuid.uuid4()
    container.upload_resume()(
        UploadResumeCommand(user_id=person, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    container.apply_to_job()(ApplyCommand(user_id=person, job_id=POSTINGS[0].id))
    container.track_application()(
        TrackCommand(
            user_id=person, title="Backend Engineer", company="Umbrella", status=Status.SUBMITTED
        )
    )
    return container, person


def applications(container, person):
    """The person's stored applications, newest first."""
    return container.list_applications()(person, ApplicationFilter(), PageRequest()).items


def test_the_default_model_is_local(newcomer):
    """Nothing is configured: the container's model is the local assistant."""
    container, _ = newcomer
    assert isinstance(container.language_model(), LocalAssistant)


def test_the_status_of_applications_is_told_as_stored(newcomer):
    """Each application is listed with its real job, company and status."""
    container, person = newcomer
    text = say(container, "What's the status of my applications?", user=person).message.content
    stored = applications(container, person)
    assert f"You have {len(stored)} application(s)" in text
    for app in stored:
        assert f"{app.job.title} at {app.job.company}: {app.status.value}" in text


def test_a_status_change_happens_only_once_confirmed(newcomer):
    """Asking to mark it interviewing proposes; the store changes only on confirmation."""
    container, person = newcomer
    reply = say(container, "Please mark my application at Umbrella as interviewing", user=person)
    (proposal,) = reply.proposals
    assert proposal.description == (
        "Move your application for Backend Engineer at Umbrella from submitted to interviewing."
    )
    umbrella = next(a for a in applications(container, person) if a.job.company == "Umbrella")
    assert umbrella.status is Status.SUBMITTED  # nothing changed yet
    done = container.confirm_proposal()(person, proposal.id)
    assert done.status is ProposalStatus.CONFIRMED
    umbrella = next(a for a in applications(container, person) if a.job.company == "Umbrella")
    assert umbrella.status is Status.INTERVIEWING
    text = say(container, "what's the status of my applications?", user=person).message.content
    assert "Backend Engineer at Umbrella: interviewing" in text


def test_an_impossible_move_is_not_proposed(newcomer):
    """A move the application's state machine forbids is refused before any proposal."""
    container, person = newcomer
    reply = say(container, "mark my application at Acme as accepted", user=person)
    assert reply.proposals == ()
    assert "cannot be moved to accepted" in reply.message.content


def test_a_cover_letter_is_made_from_real_facts_when_confirmed(newcomer):
    """The letter proposal, once confirmed, stores a grounded letter for that job."""
    container, person = newcomer
    listed = say(container, "find python jobs in London", user=person)
    reply = say(
        container, "write a cover letter for the first one", listed.conversation.id, user=person
    )
    (proposal,) = reply.proposals
    assert proposal.arguments == {"job_id": str(POSTINGS[0].id)}
    result = container.confirm_proposal()(person, proposal.id).result
    assert "Cover letter for Senior Python Developer at Acme Ltd" in result
    with pytest.raises(Conflict):
        container.confirm_proposal()(person, proposal.id)


def test_searches_and_salaries_match_the_stored_postings(newcomer):
    """Search names exactly the jobs stored; salaries are the stored figures."""
    container, person = newcomer
    text = say(container, "find java jobs", user=person).message.content
    assert "Java Developer at Globex" in text
    assert "GBP 50,000\u201355,000 a year" in text
    text = say(container, "How much does a java developer earn?", user=person).message.content
    assert "GBP 50,000 to GBP 55,000 a year, median GBP 52,500" in text
