"""The matching use cases on the in-memory fakes.

Upload a résumé, get explained recommendations, give feedback that changes them, keep saved
searches, read career insight, and never see another person's data.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import attrs
import pytest
from matching_builders import job, prefer

from fixtures.resumes.documents import SAMPLE_TEXT, image_only_pdf, text_pdf
from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.profile import JobPreferences, SalaryFloor
from jobraker_core.errors import Conflict, InvalidInput, NotFound
from jobraker_core.jobs.model import JobQuery, Location, RemoteMode
from jobraker_core.jobs.salary import Salary
from jobraker_core.matching.explain import ExclusionCode, PartName
from jobraker_core.matching.feedback import DismissReason, FeedbackKind
from jobraker_core.matching.resume import MAX_RESUME_BYTES
from jobraker_core.matching.retrieval import TextScope
from jobraker_core.matching.use_cases import (
    CreateSavedSearchCommand,
    GiveFeedbackCommand,
    RecommendQuery,
    ReplaceCandidateProfileCommand,
    RoleInput,
    UploadResumeCommand,
)
from jobraker_core.pagination import PageRequest

ME = uuid.UUID(int=11)
OTHER = uuid.UUID(int=12)

BACKEND = """Requirements:
- Python and Django
- PostgreSQL
- 3+ years of experience as a Python Developer
Nice to have:
- Kubernetes
"""
JAVA = "Requirements:\n- Java\n- Spring\n- Oracle\n- 5 years of experience as a Java Developer"
NURSE = "Requirements:\n- Patient care\n- Registered nurse licence"


@pytest.fixture
def container():
    """A memory container with five jobs stored and embedded."""
    built = build_memory_container()
    postings = [
        job(
            title="Senior Python Developer",
            description=BACKEND,
            number=1,
            salary=Salary(Decimal(60000), Decimal(80000), "GBP"),
        ),
        job(
            title="Senior Python Developer",
            description=BACKEND,
            number=2,
            location=Location(city="Leeds", country_code="GB", remote=RemoteMode.HYBRID),
        ),
        job(
            title="Java Developer",
            company="Globex",
            description=JAVA,
            number=3,
            salary=Salary(Decimal(50000), Decimal(55000), "GBP"),
        ),
        job(title="Staff Nurse", company="NHS Trust", description=NURSE, number=4),
        job(
            title="Python Engineer",
            company="Hooli",
            description=BACKEND + "- Go\n",
            number=5,
            location=Location(country_code="US", remote=RemoteMode.REMOTE),
            salary=Salary(Decimal(150000), Decimal(170000), "USD"),
        ),
    ]
    with built.uow()() as uow:
        uow.jobs.save(postings)
        uow.commit()
    built.embed_jobs()()
    return built


def upload(container, user=ME, content=None):
    """Upload the sample résumé (or ``content``) for ``user``."""
    return container.upload_resume()(
        UploadResumeCommand(
            user_id=user, content=content or SAMPLE_TEXT.encode(), filename="cv.txt"
        )
    )


def recommend(container, user=ME, **query):
    """The user's first page of recommendations."""
    return container.recommend_jobs()(RecommendQuery(user_id=user, **query))


# ----------------------------------------------------------------------------- résumés


def test_an_upload_keeps_the_version_and_makes_the_profile_from_it(container):
    """Version 1 is stored with its text; the profile names it."""
    uploaded = upload(container)
    assert uploaded.resume.version == 1
    assert uploaded.profile.resume_id == uploaded.resume.id
    assert container.get_candidate_profile()(ME) == uploaded.profile
    assert container.get_resume()(ME, uploaded.resume.id).text.startswith("Jane Doe")


def test_every_version_is_kept_and_the_profile_follows_the_latest(container):
    """A PDF after a text file is version 2; both remain, newest first."""
    upload(container)
    second = upload(container, content=text_pdf())
    assert second.resume.version == 2
    assert second.resume.media_type == "application/pdf"
    versions = container.list_resumes()(ME, PageRequest())
    assert [r.version for r in versions.items] == [2, 1]
    assert container.get_candidate_profile()(ME).resume_id == second.resume.id


def test_bad_uploads_store_nothing(container):
    """An image-only PDF, an empty file and an oversized file are refused; nothing is kept."""
    for content in (image_only_pdf(), b"", b"x" * (MAX_RESUME_BYTES + 1)):
        with pytest.raises(InvalidInput):
            container.upload_resume()(UploadResumeCommand(user_id=ME, content=content))
    assert container.list_resumes()(ME, PageRequest()).total == 0
    with pytest.raises(NotFound):
        container.get_candidate_profile()(ME)


def test_another_persons_resume_is_not_found(container):
    """Object-level scoping: someone else's résumé id reads as unknown."""
    mine = upload(container)
    with pytest.raises(NotFound):
        container.get_resume()(OTHER, mine.resume.id)
    assert container.list_resumes()(OTHER, PageRequest()).total == 0


def test_an_edited_profile_keeps_evidence_and_marks_new_facts(container):
    """Kept skills keep their résumé evidence, "k8s" becomes Kubernetes, new ones are entered."""
    upload(container)
    edited = container.replace_candidate_profile()(
        ReplaceCandidateProfileCommand(
            user_id=ME,
            skills=("Python", "k8s", "Goat herding"),
            roles=(RoleInput("Senior Python Developer", "Acme Ltd", "2019-01"),),
        )
    )
    by_name = {s.name: s for s in edited.skills}
    assert by_name["Python"].evidence.source.value == "resume"
    assert by_name["Kubernetes"].skill_id is not None
    assert by_name["Goat herding"].evidence.source.value == "user"
    assert edited.edited
    assert edited.resume_id is not None


# ----------------------------------------------------------------------------- recommendations


def test_recommendations_are_ranked_explained_and_diversified(container):
    """Python jobs lead, explained; the Leeds copy of the Acme job comes last, naming the first."""
    upload(container)
    found = recommend(container)
    titles = [(m.job.title, m.job.company) for m in found.items]
    assert titles[0] == ("Senior Python Developer", "Acme Ltd")
    assert titles[1] == ("Python Engineer", "Hooli")
    assert found.items[-1].duplicate_of == found.items[0].job.id
    assert found.items[-1].score > found.items[2].score
    first = found.items[0]
    assert first.part(PartName.SIMILARITY).value is not None
    assert {s.name for s in first.matched_skills} >= {"Python", "Django", "PostgreSQL"}
    assert found.items[-2].job.title == "Staff Nurse"


def test_recommendations_look_for_the_profiles_words_in_job_titles(container):
    """Retrieval gets the profile's titles and skills, to be found in job titles only."""
    upload(container)
    retriever = container.job_retriever()
    retriever.calls.clear()
    recommend(container)
    (call,) = retriever.calls
    assert call["text_scope"] is TextScope.TITLES
    assert "Python" in str(call["text"])


def test_recommendations_look_for_the_profiles_skills_in_stored_analyses(container):
    """Retrieval gets the profile's canonical skills; jobs asking for them are skill candidates."""
    uploaded = upload(container)
    container.analyse_jobs()()
    retriever = container.job_retriever()
    retriever.calls.clear()
    recommend(container)
    (call,) = retriever.calls
    skill_ids = {s.skill_id for s in uploaded.profile.skills if s.skill_id}
    assert skill_ids
    assert call["skills"] == skill_ids
    found = retriever.retrieve(
        text=None, vector=None, filters=JobQuery(), limit=5, skills=call["skills"]
    )
    titles = {(r.skill_rank is not None, m.title) for r in found for m in [job_of(container, r)]}
    assert (True, "Senior Python Developer") in titles
    assert (False, "Staff Nurse") in titles


def job_of(container, retrieved):
    """The stored job of a retrieval result."""
    with container.uow()() as uow:
        return uow.jobs.get(retrieved.job_id)


def test_min_score_and_filters_narrow_the_list(container):
    """A minimum score and the job filters both apply."""
    upload(container)
    everything = recommend(container)
    threshold = everything.items[1].score
    high = recommend(container, min_score=threshold)
    assert high.total < everything.total
    assert all(m.score >= threshold for m in high.items)
    remote = recommend(container, filters=JobQuery(remote=RemoteMode.REMOTE))
    assert [m.job.company for m in remote.items] == ["Hooli"]


def test_preferences_exclude_jobs_before_scoring(container):
    """A GBP salary floor hides the GBP jobs below it; the USD job is not judged by it."""
    upload(container)
    prefer(container, ME, JobPreferences(salary_floor=SalaryFloor(Decimal(58000), "GBP")))
    companies = {m.job.company for m in recommend(container).items}
    assert "Globex" not in companies
    assert "Hooli" in companies
    globex = next(j for j in container.uow().store.jobs.values() if j.company == "Globex")
    explained = container.explain_match()(ME, globex.id)
    assert [e.code for e in explained.exclusions] == [ExclusionCode.SALARY]


def test_the_match_of_one_job_scores_as_in_the_list(container):
    """The explanation endpoint and the recommendations agree on every score."""
    upload(container)
    for match in recommend(container).items:
        assert container.explain_match()(ME, match.job.id).score == match.score


def test_nothing_to_match_is_a_conflict(container):
    """No résumé and no desired titles: recommendations cannot be made (409)."""
    with pytest.raises(Conflict, match="upload a résumé"):
        recommend(container)


def test_desired_titles_alone_are_enough_to_match(container):
    """Someone with preferences but no résumé still gets recommendations."""
    prefer(container, OTHER, JobPreferences(titles=("Java Developer",)))
    assert recommend(container, user=OTHER).items[0].job.company == "Globex"


# ----------------------------------------------------------------------------- feedback


def test_a_dismissed_job_disappears_and_lowers_similar_ones_visibly(container):
    """Dismissing a job as too junior hides it and visibly lowers its copy (a feedback part)."""
    upload(container)
    before = {m.job.id: m for m in recommend(container).items}
    london = next(
        m
        for m in before.values()
        if m.job.location.city == "London" and m.job.company == "Acme Ltd"
    )
    leeds = next(m for m in before.values() if m.job.location.city == "Leeds")
    container.give_feedback()(
        GiveFeedbackCommand(ME, london.job.id, FeedbackKind.DISMISS, DismissReason.TOO_JUNIOR)
    )
    after = {m.job.id: m for m in recommend(container).items}
    assert london.job.id not in after
    part = after[leeds.job.id].part(PartName.FEEDBACK)
    assert part.points < 0
    assert part.summary == 'you dismissed 1 job at Acme Ltd as "too junior" (-4)'
    assert after[leeds.job.id].score == pytest.approx(leeds.score - 4, abs=0.11)
    explained = container.explain_match()(ME, london.job.id)
    assert explained.exclusions[0].code is ExclusionCode.DISMISSED


def test_withdrawn_feedback_restores_the_job(container):
    """Taking a dismissal back brings the job back."""
    upload(container)
    target = recommend(container).items[0].job.id
    container.give_feedback()(
        GiveFeedbackCommand(ME, target, FeedbackKind.DISMISS, DismissReason.COMPANY)
    )
    container.withdraw_feedback()(ME, target)
    assert target in {m.job.id for m in recommend(container).items}
    with pytest.raises(NotFound):
        container.withdraw_feedback()(ME, target)


def test_feedback_on_an_unknown_job_is_not_found(container):
    """There is nothing to dismiss."""
    with pytest.raises(NotFound):
        container.give_feedback()(GiveFeedbackCommand(ME, uuid.uuid4(), FeedbackKind.SAVE))


# ----------------------------------------------------------------------------- saved searches


def test_saved_searches_record_only_new_matching_jobs_once(container):
    """Jobs stored before the search was saved are not new; a new Python job is, once."""
    search = container.create_saved_search()(
        CreateSavedSearchCommand(ME, "python", JobQuery(text="python"))
    )
    container.clock().advance(hours=1)
    with container.uow()() as uow:
        posting = job(title="Python Developer", company="Initrode", description=BACKEND, number=20)
        posting = attrs.evolve(
            posting, first_seen=container.clock().now(), last_seen=container.clock().now()
        )
        uow.jobs.save([posting])
        uow.commit()
    assert container.refresh_saved_searches()().new_hits == 1
    assert container.refresh_saved_searches()().new_hits == 0
    hits = container.list_saved_search_matches()(ME, search.id, PageRequest())
    assert [m.job.company for m in hits.items] == ["Initrode"]
    assert container.get_saved_search()(ME, search.id).hits == 1


def test_another_persons_saved_search_is_not_found(container):
    """Reading, listing matches of or deleting someone else's search is a 404."""
    search = container.create_saved_search()(CreateSavedSearchCommand(ME, "mine", JobQuery()))
    for call in (
        lambda: container.get_saved_search()(OTHER, search.id),
        lambda: container.delete_saved_search()(OTHER, search.id),
        lambda: container.list_saved_search_matches()(OTHER, search.id, PageRequest()),
    ):
        with pytest.raises(NotFound):
            call()
    container.delete_saved_search()(ME, search.id)
    assert container.list_saved_searches()(ME, PageRequest()).total == 0


# ----------------------------------------------------------------------------- insight


def test_career_insight_counts_missing_skills_and_salary_per_currency(container):
    """The best matches' missing skills are counted, and their pay given per currency."""
    upload(container)
    container.replace_candidate_profile()(
        ReplaceCandidateProfileCommand(
            user_id=ME, skills=("Python",), roles=(RoleInput("Python Developer", None, "2018-01"),)
        )
    )
    insight = container.career_insight()(ME)
    gaps = {g.name: g for g in insight.skills}
    assert gaps["Django"].jobs == 3
    assert gaps["Django"].required_by == 3
    assert {s.currency for s in insight.salaries} == {"GBP", "USD"}
    usd = next(s for s in insight.salaries if s.currency == "USD")
    assert (usd.low, usd.high) == (Decimal(150000), Decimal(170000))
