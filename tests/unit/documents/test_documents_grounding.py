"""The grounding gate: real claims pass, fabricated skills, employers, dates and numbers do not.

Profiles are drawn by hypothesis: a few skills, roles with made-up employers, dates and numbers.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jobraker_adapters.taxonomy import load_skill_extractor
from jobraker_core.documents.facts import collect_facts
from jobraker_core.documents.grounding import GroundingGate, split_sentences
from jobraker_core.documents.local import DraftBasis, LocalDrafter
from jobraker_core.jobs.model import JobDraft, JobPosting
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.candidate import (
    CandidateProfile,
    CandidateSkill,
    DegreeLevel,
    Education,
    Period,
    Role,
    YearMonth,
)
from jobraker_core.matching.resume import Resume

SKILLS = (
    "Python",
    "Django",
    "PostgreSQL",
    "Docker",
    "Kubernetes",
    "React",
    "TypeScript",
    "Rust",
    "Kafka",
    "Redis",
    "GraphQL",
    "Scala",
    "Haskell",
    "MongoDB",
)
TITLES = ("Software Engineer", "Data Analyst", "Product Manager", "Backend Developer", "Nurse")
AS_OF = YearMonth(2026, 1)
NOW = datetime(2026, 1, 15, tzinfo=UTC)

names = st.from_regex(
    r"[BCDFGKLMNPRSTVZ][aeiou][bcdfgklmnprstvz][aeiou][bcdfgklmnprstvz]{1,2}x", fullmatch=True
)


@st.composite
def roles(draw: st.DrawFn) -> Role:
    """A dated role at a made-up employer with one bullet holding a percentage."""
    start = draw(st.integers(1990, 2020))
    end = draw(st.one_of(st.none(), st.integers(start, 2025)))
    percent = draw(st.integers(2, 95))
    return Role(
        title=draw(st.sampled_from(TITLES)),
        company=draw(names),
        period=Period(YearMonth(start), YearMonth(end) if end is not None else None),
        description=f"- Cut costs by {percent}% in a year.",
    )


@st.composite
def profiles(draw: st.DrawFn) -> tuple[CandidateProfile, Resume]:
    """A profile and the résumé text it came from."""
    extractor = load_skill_extractor()
    chosen = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=5, unique=True))
    held = draw(st.lists(roles(), min_size=1, max_size=3))
    user_id, resume_id = uuid.uuid4(), uuid.uuid4()
    skills = []
    for name in chosen:
        skill = extractor.taxonomy.find(name)
        assert skill is not None
        skills.append(CandidateSkill(name=skill.name, skill_id=skill.id))
    profile = CandidateProfile(
        user_id=user_id,
        resume_id=resume_id,
        skills=tuple(skills),
        roles=tuple(held),
        education=(Education("BSc Physics, 2001", level=DegreeLevel.BACHELOR, year=2001),),
    )
    lines = ["Experience"]
    for role in held:
        lines += [f"{role.title}, {role.company}, {role.period and role.period.describe()}"]
        lines += [role.description]
    lines += ["Skills", ", ".join(chosen), "Education", "BSc Physics, 2001"]
    text = "\n".join(lines)
    resume = Resume(resume_id, user_id, 1, None, "text/plain", len(text), "0" * 64, text, NOW)
    return profile, resume


def facts_of(profile: CandidateProfile, resume: Resume, job: JobPosting | None = None):
    """The fact sheet of a drawn profile."""
    return collect_facts(profile, [resume], job, load_skill_extractor(), AS_OF)


def gate() -> GroundingGate:
    """The gate over the real taxonomy."""
    return GroundingGate(load_skill_extractor())


def a_job(title: str = "Platform Engineer", company: str = "Globex") -> JobPosting:
    """A posting asking for Kubernetes."""
    draft = JobDraft(
        source="t",
        source_id="1",
        title=title,
        description="Requirements:\n- Kubernetes\n- Python",
        company=company,
    )
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=NOW)


CASES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CASES
@given(profiles())
def test_real_claims_are_accepted(drawn):
    """Sentences restating the person's own skills, employers, titles, dates and numbers pass."""
    profile, resume = drawn
    role = profile.roles[0]
    assert role.period is not None
    percent = role.description.split("by ")[1].split("%")[0]
    text = (
        f"I worked at {role.company} as {role.title} from {role.period.start.year}.\n"
        f"- I used {profile.skills[0].name} there and cut costs by {percent}%.\n"
        "I hold a BSc."
    )
    report = gate().check(text, facts_of(profile, resume))
    assert report.grounded, report.flagged


@CASES
@given(profiles(), st.sampled_from(SKILLS))
def test_a_fabricated_skill_is_rejected(drawn, skill):
    """A skill the person does not have is an unsupported claim."""
    profile, resume = drawn
    assume(all(s.name != load_skill_extractor().taxonomy.find(skill).name for s in profile.skills))
    report = gate().check(f"I used {skill} every day.", facts_of(profile, resume))
    assert not report.grounded
    assert any("skill" in claim for claim in report.flagged[0].claims)


@CASES
@given(profiles(), names)
def test_a_fabricated_employer_is_rejected(drawn, employer):
    """An employer the person never named is an unsupported claim."""
    profile, resume = drawn
    assume(all(employer != r.company for r in profile.roles))
    report = gate().check(f"I worked at {employer} for a while.", facts_of(profile, resume))
    assert not report.grounded
    assert report.flagged[0].claims == (f'employer "{employer}"',)


@CASES
@given(profiles(), st.integers(1960, 2049))
def test_a_fabricated_date_is_rejected(drawn, year):
    """A year none of the person's texts or roles state is an unsupported claim."""
    profile, resume = drawn
    facts = facts_of(profile, resume)
    assume(year not in facts.years)
    report = gate().check(f"I started there in {year}.", facts)
    assert report.flagged[0].claims == (f'date "{year}"',)


@CASES
@given(
    profiles(), st.one_of(st.integers(100, 1899), st.integers(2101, 10_000)), st.integers(96, 99)
)
def test_a_fabricated_number_is_rejected(drawn, count, percent):
    """Counts, percentages and money the person never stated are unsupported claims.

    (A count written like a year, 1950, is read as a date: it is refused as a date.)
    """
    profile, resume = drawn
    facts = facts_of(profile, resume)
    report = gate().check(
        f"I led {count} people. Revenue grew {percent}%. I saved ${count}k.", facts
    )
    assert [flag.claims for flag in report.flagged] == [
        (f'number "{count}"',),
        (f'number "{percent}%"',),
        (f'number "${count}k"',),
    ]


@CASES
@given(profiles(), st.randoms(use_true_random=False))
def test_reordered_real_content_is_accepted(drawn, shuffler: random.Random):
    """The local tailored résumé passes, and so does any reordering of its lines."""
    profile, resume = drawn
    extractor = load_skill_extractor()
    job = a_job()
    analysis = JobAnalyser(extractor, _titles()).analyse(job)
    facts = facts_of(profile, resume, job)
    text = LocalDrafter(extractor).tailored_resume(DraftBasis(profile, job, analysis, facts, AS_OF))
    lines = text.splitlines()
    shuffler.shuffle(lines)
    assert gate().check(text, facts).grounded
    assert gate().check("\n".join(lines), facts).grounded


def _titles():
    from jobraker_adapters.taxonomy import load_title_normaliser  # noqa: PLC0415 - cached loader

    return load_title_normaliser()


@CASES
@given(profiles())
def test_a_fabricated_title_is_rejected(drawn):
    """A job title none of the person's roles had is an unsupported claim."""
    profile, resume = drawn
    report = gate().check("I was Chief Astronaut Officer.", facts_of(profile, resume))
    assert report.flagged[0].claims == ('title "Chief Astronaut Officer"',)


def sample() -> tuple[CandidateProfile, Resume]:
    """One fixed profile: a Software Engineer at Initech since 2019, Python, BSc."""
    extractor = load_skill_extractor()
    python = extractor.taxonomy.find("Python")
    assert python is not None
    user_id, resume_id = uuid.uuid4(), uuid.uuid4()
    profile = CandidateProfile(
        user_id=user_id,
        resume_id=resume_id,
        skills=(CandidateSkill(name=python.name, skill_id=python.id),),
        roles=(
            Role(
                title="Software Engineer",
                company="Initech",
                period=Period(YearMonth(2019, 3)),
                description="- Built billing in Python for 30 clients.",
            ),
        ),
        education=(Education("BSc Physics, 2001", level=DegreeLevel.BACHELOR, year=2001),),
    )
    text = "Software Engineer, Initech, Mar 2019 - Present\nBuilt billing in Python for 30 clients."
    resume = Resume(resume_id, user_id, 1, None, "text/plain", len(text), "0" * 64, text, NOW)
    return profile, resume


@pytest.mark.parametrize(
    ("sentence", "grounded"),
    [
        ("I am applying for the Platform Engineer position at Globex.", True),
        ("I would like to contribute to Globex.", True),
        ("I worked at Globex for two years.", False),
        ("I was a Platform Engineer at Initech.", False),
        ("I have 6 years of experience.", True),
        ("I have 9 years of experience.", False),
        ("I have six years of experience.", True),
        ("I served hundreds of clients.", False),
        ("I hold a degree.", True),
        ("I hold a PhD.", False),
        ("Dear Hiring Manager,", True),
        ("Lead the billing work.", True),
        ("Since March 2019 I build billing.", True),
        ("Since April 2019 I build billing.", False),
        ("I speak Klingon fluently.", False),
    ],
)
def test_examples(sentence, grounded):
    """Job facts only where the job is named, derived years, degrees, structure, months."""
    profile, resume = sample()
    report = gate().check(sentence, facts_of(profile, resume, a_job()))
    assert report.grounded is grounded, report.flagged


def test_sentences_are_cut_per_line_and_marker():
    """Bullets and headings lose their markers; sentences split at full stops."""
    text = "## Skills\n- Python. Django!\n\n1. First thing"
    assert [s.text for s in split_sentences(text)] == [
        "Skills",
        "Python.",
        "Django!",
        "First thing",
    ]
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "Skills",
        "Python.",
        "Django!",
        "First thing",
    ]


def test_marked_wraps_each_flagged_sentence():
    """``marked`` shows exactly the unsupported sentences, the rest unchanged."""
    profile, resume = sample()
    text = "I used Python. I used Kubernetes.\nI worked at Initech."
    report = gate().check(text, facts_of(profile, resume))
    assert report.marked(text) == (
        "I used Python. [[UNSUPPORTED: I used Kubernetes.]]\nI worked at Initech."
    )
    assert "Kubernetes" in report.feedback()
