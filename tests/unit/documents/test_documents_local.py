"""Tailored résumés and cover letters from the local drafter, through the use cases on fakes."""

from __future__ import annotations

import json
import uuid
from importlib.resources import files

import pytest
from documents_builders import RESUME, make_job, seed

from account_builders import T0
from jobraker_adapters.container import build_memory_container
from jobraker_adapters.taxonomy import load_skill_extractor
from jobraker_core.documents.facts import collect_facts
from jobraker_core.documents.grounding import GroundingGate
from jobraker_core.documents.model import LOCAL_GENERATOR, DocumentKind, DocumentStatus
from jobraker_core.documents.use_cases import DocumentFilter, DocumentRequest
from jobraker_core.errors import InvalidInput, NotFound
from jobraker_core.jobs.model import JobDraft, JobPosting
from jobraker_core.matching.candidate import YearMonth
from jobraker_core.matching.use_cases import ReplaceCandidateProfileCommand, RoleInput
from jobraker_core.pagination import PageRequest


@pytest.fixture
def container():
    """A memory container."""
    return build_memory_container()


def lines_of(text: str) -> list[str]:
    """The non-blank lines of a document."""
    return [line for line in text.splitlines() if line.strip()]


def test_the_tailored_resume_holds_only_the_persons_content(container):
    """Every bullet, skill, education and language line of the output is in the résumé."""
    user_id, job = seed(container)
    outcome = container.tailor_resume()(DocumentRequest(user_id, job.id))
    document = outcome.document
    assert outcome.stored
    assert document.status is DocumentStatus.DONE
    assert document.generator == LOCAL_GENERATOR
    assert document.version == 1
    assert document.title == "Résumé for Backend Engineer at Globex"
    for line in lines_of(document.body):
        if line.startswith(("## ", "### ")):
            continue
        if line.startswith("- "):
            assert line[2:] in RESUME or line[2:].split(" (")[0] in RESUME, line
    with container.uow()() as uow:
        profile = uow.candidates.get(user_id)
        resumes = uow.resumes.list(user_id, PageRequest()).items
    facts = collect_facts(profile, resumes, job, load_skill_extractor(), YearMonth(2026, 1))
    assert GroundingGate(load_skill_extractor()).check(document.body, facts).grounded


def test_the_most_relevant_content_comes_first(container):
    """Roles, bullets and skills the job asks for lead; unrelated ones follow."""
    user_id, job = seed(container)
    body = container.tailor_resume()(DocumentRequest(user_id, job.id)).document.body
    roles = [line for line in lines_of(body) if line.startswith("### ")]
    assert roles == [
        "### Senior Python Developer, Acme Ltd (2019-01 to present)",
        "### Software Engineer, Initech (2015-01 to 2018-01)",
        "### Nurse, St Mary Hospital (2010-01 to 2012-01)",
    ]
    acme = lines_of(body)[lines_of(body).index(roles[0]) + 1 :]
    assert acme[0].startswith("- Built payment APIs with Python, Django and PostgreSQL")
    assert acme.index("- Organised the office book club.") > 0
    skills = lines_of(body)[lines_of(body).index("## Skills") + 1].split(", ")
    assert skills[:4] == ["Python", "Django", "PostgreSQL", "Docker"]
    assert skills.index("Java") > 3


def test_the_cover_letter_is_filled_from_facts(container):
    """The letter names the job and company, the best role, matching skills, years, background."""
    user_id, job = seed(container)
    outcome = container.draft_cover_letter()(DocumentRequest(user_id, job.id))
    body = outcome.document.body
    assert outcome.document.kind is DocumentKind.COVER_LETTER
    assert body.startswith("Dear Hiring Manager,\n\nI am applying for the Backend Engineer")
    assert "position at Globex." in body
    assert "my role as Senior Python Developer at Acme Ltd, since 2019-01." in body
    assert "I bring Python, Django, PostgreSQL and Docker." in body
    assert "Kubernetes" not in body  # asked for, but the person does not have it
    assert "My education: BSc Computer Science, University of Leeds, 2014." in body
    assert "I speak English (native) and French (fluent)." in body
    assert body.rstrip().endswith("Kind regards")


def test_an_identical_request_reuses_the_document_and_a_changed_profile_does_not(container):
    """Same facts and job: the stored version answers; new facts make version 2."""
    user_id, job = seed(container)
    tailor = container.tailor_resume()
    first = tailor(DocumentRequest(user_id, job.id))
    again = tailor(DocumentRequest(user_id, job.id))
    assert again.reused
    assert again.document.id == first.document.id
    container.replace_candidate_profile()(
        ReplaceCandidateProfileCommand(
            user_id=user_id,
            skills=("Python",),
            roles=(RoleInput("Data Engineer", "Hooli", "2020-01", None, "Python pipelines"),),
        )
    )
    second = tailor(DocumentRequest(user_id, job.id))
    assert not second.reused
    assert second.document.version == 2
    assert second.document.id != first.document.id
    listed = container.list_documents()(user_id, PageRequest(), DocumentFilter(job_id=job.id))
    assert [d.version for d in listed.items] == [2, 1]


def test_versions_are_counted_per_kind_and_job(container):
    """A letter and a résumé for one job are each version 1; another job starts again."""
    user_id, job = seed(container)
    other = make_job(title="Data Engineer", number=2)
    with container.uow()() as uow:
        uow.jobs.save([other])
        uow.commit()
    made = [
        container.tailor_resume()(DocumentRequest(user_id, job.id)).document,
        container.draft_cover_letter()(DocumentRequest(user_id, job.id)).document,
        container.tailor_resume()(DocumentRequest(user_id, other.id)).document,
    ]
    assert [d.version for d in made] == [1, 1, 1]
    letters = container.list_documents()(
        user_id, PageRequest(), DocumentFilter(kind=DocumentKind.COVER_LETTER)
    )
    assert [d.id for d in letters.items] == [made[1].id]


def test_no_profile_and_unknown_job_are_refused(container):
    """Without a résumé there is nothing to draw on (422); an unknown job is 404."""
    user_id, job = seed(container)
    with pytest.raises(NotFound):
        container.tailor_resume()(DocumentRequest(user_id, uuid.uuid4()))
    stranger = uuid.uuid4()
    with pytest.raises(InvalidInput, match="nothing to draw on"):
        container.draft_cover_letter()(DocumentRequest(stranger, job.id))


def test_another_persons_document_is_not_found(container):
    """Reading, exporting or using someone else's document answers NotFound."""
    user_id, job = seed(container)
    document = container.tailor_resume()(DocumentRequest(user_id, job.id)).document
    intruder, _ = seed(container, job=make_job(title="Other", company="Other Co", number=9))
    with pytest.raises(NotFound):
        container.get_document()(intruder, document.id)
    with pytest.raises(NotFound):
        container.read_resume_version()(intruder, document.id)


def test_a_tailored_resume_reads_like_a_resume_version(container):
    """``ReadResumeVersion`` gives a tailored résumé and an uploaded version alike."""
    user_id, job = seed(container)
    document = container.tailor_resume()(DocumentRequest(user_id, job.id)).document
    tailored = container.read_resume_version()(user_id, document.id)
    assert tailored.text == document.body
    assert tailored.tailored_for == job.id
    assert tailored.source_resume_id == document.source_resume_id
    uploaded = container.read_resume_version()(user_id, document.source_resume_id)
    assert uploaded.text.startswith("Jane Doe")
    assert uploaded.tailored_for is None
    letter = container.draft_cover_letter()(DocumentRequest(user_id, job.id)).document
    with pytest.raises(NotFound):
        container.read_resume_version()(user_id, letter.id)


def test_a_job_title_with_numbers_and_skills_may_be_named(container):
    """A title such as "Python Engineer II 2026" is the job's: the letter may repeat it."""
    job = make_job(title="Kotlin Engineer II 2027", company="Umbrella 42")
    user_id, job = seed(container, job=job)
    outcome = container.draft_cover_letter()(DocumentRequest(user_id, job.id))
    assert outcome.stored, outcome.report
    assert "the Kotlin Engineer II 2027 position at Umbrella 42." in outcome.document.body


def demo_postings() -> list[JobPosting]:
    """Every eighth posting of the demo corpus, plus those with numbers and "!" in the title."""
    lines = (
        files("jobraker_adapters.sources").joinpath("data", "demo_jobs.jsonl").read_text()
    ).splitlines()
    chosen = []
    for number, line in enumerate(lines):
        record = json.loads(line)
        if number % 8 and not any(mark in record["title"] for mark in ("!", "%", "$")):
            continue
        draft = JobDraft(
            source="demo",
            source_id=record["source_id"],
            title=record["title"],
            description=record["description"],
            company=record.get("company"),
        )
        chosen.append(JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=T0))
    return chosen


def test_the_local_documents_pass_the_gate_for_demo_postings(container):
    """Across real postings (titles with "$2500-$3500/Week!", "100% WFH"), nothing is refused."""
    user_id, _ = seed(container)
    postings = demo_postings()
    with container.uow()() as uow:
        for posting in postings:
            uow.jobs.jobs[posting.id] = posting
        uow.commit()
    refused = [
        (posting.title, outcome.report)
        for posting in postings
        for make in (container.tailor_resume(), container.draft_cover_letter())
        if not (outcome := make(DocumentRequest(user_id, posting.id))).stored
    ]
    assert len(postings) > 60
    assert refused == []
