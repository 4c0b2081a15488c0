"""Matching on real PostgreSQL (pgvector).

Résumés, profiles, recommendations with the same scores as the in-memory fakes, feedback, saved
searches with their hits, and scoping.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.use_cases import CreateUser
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.model import EmploymentType, JobDraft, JobPosting, JobQuery, Location
from jobraker_core.jobs.salary import Salary
from jobraker_core.matching.explain import PartName
from jobraker_core.matching.feedback import DismissReason, FeedbackKind
from jobraker_core.matching.resume import Resume
from jobraker_core.matching.use_cases import (
    CreateSavedSearchCommand,
    GiveFeedbackCommand,
    RecommendQuery,
    ReplaceCandidateProfileCommand,
    RoleInput,
    UploadResumeCommand,
)
from jobraker_core.pagination import PageRequest

pytestmark = pytest.mark.integration

RESUME = """Jane Doe
Location: London, UK

Experience
Senior Python Developer, Acme Ltd - Jan 2019 - Present
- Built payment APIs with Python, Django and PostgreSQL.
Software Engineer | Initech | 2015 - 2018
- Java services.

Education
BSc Computer Science, University of Leeds, 2014

Skills
Python, Django, PostgreSQL, Docker

Languages
English (native)
"""
BACKEND = (
    "Requirements:\n- Python and Django\n- PostgreSQL\n- 3+ years of experience as a "
    "Python Developer\nNice to have:\n- Kubernetes\n"
)


def postings(now):
    """Four postings, two of them copies of one job in two cities."""
    specs = [
        ("Senior Python Developer", "Acme Ltd", "London", BACKEND, 60000),
        ("Senior Python Developer", "Acme Ltd", "Leeds", BACKEND, 60000),
        ("Java Developer", "Globex", "London", "Requirements:\n- Java\n- Spring", 50000),
        ("Staff Nurse", "NHS Trust", "York", "Requirements:\n- Patient care", None),
    ]
    found = []
    for number, (title, company, city, text, pay) in enumerate(specs, start=1):
        draft = JobDraft(
            source="test",
            source_id=str(number),
            title=title,
            description=text,
            company=company,
            location=Location(city=city, country_code="GB"),
            salary=Salary(Decimal(pay), Decimal(pay + 20000), "GBP") if pay else None,
            employment_type=EmploymentType.FULL_TIME,
            posted_at=now,
        )
        found.append(JobPosting.from_draft(draft, job_id=uuid.UUID(int=100 + number), seen_at=now))
    return found


def arrange(container, user_id):
    """Store the postings, embed them, and upload the résumé for ``user_id``."""
    now = container.clock().now()
    with container.uow()() as uow:
        uow.jobs.save(postings(now))
        uow.commit()
    container.embed_jobs()()
    return container.upload_resume()(UploadResumeCommand(user_id, RESUME.encode(), "cv.txt"))


def new_user(container):
    """A user stored in the container's database."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    return container.create_user_account()(
        CreateUser(email=email, password="a long test passphrase")
    ).id


@pytest.fixture
def me(pg_container):
    """A user of the PostgreSQL container."""
    return new_user(pg_container)


def test_the_profile_and_resume_versions_round_trip(pg_container, me):
    """What is stored reads back equal: the version and the profile with all its evidence."""
    uploaded = arrange(pg_container, me)
    assert pg_container.get_candidate_profile()(me) == uploaded.profile
    stored: Resume = pg_container.get_resume()(me, uploaded.resume.id)
    assert stored == uploaded.resume
    second = pg_container.upload_resume()(UploadResumeCommand(me, RESUME.encode()))
    assert second.resume.version == 2
    assert [r.version for r in pg_container.list_resumes()(me, PageRequest()).items] == [2, 1]
    edited = pg_container.replace_candidate_profile()(
        ReplaceCandidateProfileCommand(
            me, skills=("Python", "k8s"), roles=(RoleInput("Python Developer", None, "2018-02"),)
        )
    )
    assert pg_container.get_candidate_profile()(me) == edited


def test_a_taken_version_number_is_a_conflict(pg_container, me):
    """Two versions with one number cannot both be stored."""
    uploaded = arrange(pg_container, me)
    twin = attrs.evolve(uploaded.resume, id=uuid.uuid4())
    with pg_container.uow()() as uow, pytest.raises(Conflict):
        uow.resumes.add(twin)


def test_scores_agree_with_the_in_memory_fakes(pg_container, me):
    """The same data scores the same on PostgreSQL and in memory, job by job."""
    arrange(pg_container, me)
    memory = build_memory_container()
    memory.clock().set(pg_container.clock().now())
    arrange(memory, me)
    real = pg_container.recommend_jobs()(RecommendQuery(me))
    fake = memory.recommend_jobs()(RecommendQuery(me))
    assert [(m.job.id, m.score) for m in real.items] == [(m.job.id, m.score) for m in fake.items]
    assert real.items[0].part(PartName.SIMILARITY).value is not None


def test_feedback_hides_and_lowers_and_is_scoped(pg_container, me):
    """A dismissal hides the job and lowers its copy; another user sees no effect."""
    arrange(pg_container, me)
    other = new_user(pg_container)
    pg_container.upload_resume()(UploadResumeCommand(other, RESUME.encode()))
    london = uuid.UUID(int=101)
    leeds = uuid.UUID(int=102)
    before = pg_container.explain_match()(me, leeds).score
    pg_container.give_feedback()(
        GiveFeedbackCommand(
            me, london, FeedbackKind.DISMISS, DismissReason.TOO_JUNIOR, "not for me"
        )
    )
    ids = {m.job.id for m in pg_container.recommend_jobs()(RecommendQuery(me)).items}
    assert london not in ids
    assert pg_container.explain_match()(me, leeds).score == pytest.approx(before - 4, abs=0.11)
    assert london in {m.job.id for m in pg_container.recommend_jobs()(RecommendQuery(other)).items}
    (stored,) = pg_container.list_feedback()(me)
    assert (stored.reason, stored.note) == (DismissReason.TOO_JUNIOR, "not for me")
    pg_container.withdraw_feedback()(me, london)
    assert pg_container.list_feedback()(me) == []


def test_saved_searches_record_new_hits_once_and_are_scoped(pg_container, me):
    """A refresh records the new jobs once; another user cannot read or delete the search."""
    search = pg_container.create_saved_search()(
        CreateSavedSearchCommand(
            me, "python", JobQuery(text="python", currency="GBP", salary_min=Decimal(50000))
        )
    )
    arrange(pg_container, me)
    later = search.created_at + timedelta(minutes=5)  # the two Acme jobs were seen after it
    with pg_container.uow()() as uow:
        for job_id in (uuid.UUID(int=101), uuid.UUID(int=102)):
            posting = uow.jobs.get(job_id)
            uow.jobs.save([attrs.evolve(posting, first_seen=later, last_seen=later)])
        uow.commit()
    assert pg_container.refresh_saved_searches()().new_hits == 2
    assert pg_container.refresh_saved_searches()().new_hits == 0
    hits = pg_container.list_saved_search_matches()(me, search.id, PageRequest())
    assert {m.job.id for m in hits.items} == {uuid.UUID(int=101), uuid.UUID(int=102)}
    assert pg_container.get_saved_search()(me, search.id).search.checked_at is not None
    other = new_user(pg_container)
    with pytest.raises(NotFound):
        pg_container.get_saved_search()(other, search.id)
    with pytest.raises(NotFound):
        pg_container.delete_saved_search()(other, search.id)
    pg_container.delete_saved_search()(me, search.id)
    assert pg_container.list_saved_searches()(me, PageRequest()).total == 0


def test_career_insight_on_postgres(pg_container, me):
    """Insight counts the missing skills of the best matches and their pay."""
    arrange(pg_container, me)
    insight = pg_container.career_insight()(me)
    assert insight.matches == 4
    assert insight.skills
    assert insight.salaries[0].currency == "GBP"
