"""Reading what a posting asks for beyond list items, and weighing where a résumé shows a skill.

- Requirement phrasing: "experience with X", "knowledge of A, B and C", "X skills:", a colon
  introducing a list, "A and B are essential", and asking phrases in the summary's sentences.
- Evidence: a skill named only in a job title ("Java Developer") is listed as missing with that
  title as its evidence, for half the credit; a skill the résumé denies ("without Angular") is
  not a skill; languages are the profile's languages, never skills.
"""

from __future__ import annotations

import uuid

import pytest
from matching_builders import NOW, analyser, job, parser, scorer

from jobraker_adapters.taxonomy import load_skill_extractor
from jobraker_core.matching.analysis import asked_in_prose, requirement_items
from jobraker_core.matching.phrases import Line
from jobraker_core.matching.scoring import TITLE_ONLY_SHARE
from jobraker_core.matching.skills import is_language


def asked(description: str) -> dict[str, bool | None]:
    """The skills (names) a posting with this description asks for, with ``required``."""
    return {s.name: s.required for s in analyser().analyse(job(description=description)).skills}


def items(text: str) -> list[str]:
    """The item texts ``requirement_items`` reads from one line."""
    return [
        item.text for item in requirement_items(Line(text, 100, 100 + len(text), bulleted=True))
    ]


def parse(text: str):
    """Parse a résumé text."""
    return parser().parse(text, user_id=uuid.uuid4(), resume_id=None, now=NOW)


# ----------------------------------------------------------------------------- requirements


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CM skills:", ["CM"]),
        (
            "Safety Awareness: Applicants should show they keep a hazard-free site",
            ["Safety Awareness", "Applicants should show they keep a hazard-free site"],
        ),
        (
            "Applicants should possess the following skills: inquiry, Linux, Solaris and AIX",
            ["inquiry", "Linux", "Solaris and AIX"],
        ),
        (
            (
                "The candidate will possess expertise in Agile methodology, understanding of "
                "business requirements, have a foundation in development and knowledge of "
                "payroll systems."
            ),
            ["Agile methodology", "business requirements", "development", "payroll systems"],
        ),
    ],
)
def test_a_requirement_line_gives_the_items_it_asks_for(line, expected):
    """Headed lines, colon lists, asking phrases and "... are pivotal" clauses give their items."""
    assert items(line) == expected


def test_a_clause_ending_in_are_pivotal_asks_for_what_it_lists():
    """A clause "A, B, and C and D are pivotal" asks for A to D; its connective is no skill."""
    text = (
        "Furthermore, superior attention to detail, stellar employee relations skills, and "
        "recruitment and selection skills are pivotal."
    )
    assert [i.text for i in asked_in_prose(Line(text, 0, len(text), bulleted=True))] == [
        "superior attention to detail",
        "stellar employee relations skills",
        "recruitment",
        "selection skills",
    ]
    skills = asked(f"Requirements:\n- {text}\n")
    assert {"Employee relations skills", "Recruitment and selection skills"} <= set(skills)
    assert "Furthermore" not in skills


def test_offsets_of_items_point_into_the_posting():
    """Each item keeps its place in the posting's text (evidence points back at it)."""
    text = "Proficiency in ledger reconciliation and HQL tuning is required for this team."
    for item in requirement_items(Line(text, 100, 100 + len(text), bulleted=True)):
        assert text[item.start - 100 : item.end - 100] == item.text


def test_asking_phrases_in_a_long_requirement_sentence_become_skills():
    """A sentence too long to be one skill is read for what follows each asking phrase."""
    skills = asked(
        "Requirements:\n- The ideal candidate has a proven track record in ledger reconciliation "
        "and HQL tuning, knowledge of payroll processing and familiarity with vendor audits.\n"
    )
    assert {"Ledger reconciliation", "HQL tuning", "Payroll processing", "Vendor audits"} <= set(
        skills
    )
    assert skills["Payroll processing"] is True


def test_asking_phrases_in_the_summary_are_read_as_unstated():
    """The summary's "proficient in A, B and C" asks for them, neither required nor optional."""
    skills = asked(
        "Job Summary\nWe seek a lead who is proficient in vendor audits, payroll processing and "
        "forklift operation. The role is based in Leeds.\n\nRequirements:\n- Python\n"
    )
    assert skills["Vendor audits"] is None
    assert skills["Payroll processing"] is None
    assert skills["Python"] is True


def test_one_requirement_phrase_per_set_of_words():
    """The same words asked twice (summary and requirements) are one requirement, not two."""
    skills = asked(
        "Job Summary\nIt requires excellent monitoring ability.\n\nRequirements:\n"
        "- Precise monitoring abilities\n"
    )
    assert [name for name in skills if "onitoring" in name] == ["Monitoring abilities"]


# ----------------------------------------------------------------------------- evidence

TITLED = """Experience
Java Developer (2016 - 2020)
- Built payment services.
- Led code reviews.
Skills
- Kubernetes
"""
DESCRIBED = TITLED.replace("Built payment services.", "Built payment services in Java.")


def test_a_skill_named_only_in_a_job_title_is_missing_with_that_title_as_evidence():
    """Named only in "Java Developer": Java is missing, points at the title, half credit."""
    posting = job(description="Requirements:\n- Java\n- Kubernetes\n")
    match = scorer(parse(TITLED)).score(posting, analyser().analyse(posting), None)
    java = next(s for s in match.skills if s.name == "Java")
    assert not java.matched
    assert java.only_in_title
    assert java.candidate_evidence is not None
    assert "Java Developer" in (java.candidate_evidence.context or "")
    assert java in match.missing_skills
    skills_part = match.parts[0]
    assert skills_part.value == pytest.approx((1 + TITLE_ONLY_SHARE) / 2)


def test_a_skill_said_in_a_role_description_is_shown():
    """The same résumé saying "in Java" in a role's description shows Java, with that line."""
    posting = job(description="Requirements:\n- Java\n- Kubernetes\n")
    match = scorer(parse(DESCRIBED)).score(posting, analyser().analyse(posting), None)
    java = next(s for s in match.skills if s.name == "Java")
    assert java.matched
    assert not java.only_in_title
    assert match.parts[0].value == 1.0


def test_the_evidence_of_a_skill_prefers_the_skills_section():
    """A skill in a title, a description and the skills section takes the skills-section line."""
    profile = parse(DESCRIBED + "- Java\n")
    java = next(s for s in profile.skills if s.name == "Java")
    assert java.evidence is not None
    assert java.evidence.context == "Java"


def test_a_denied_skill_is_not_a_skill():
    """Skills the résumé denies ("without Angular and Ajax") are not the person's skills."""
    profile = parse(
        "Experience\nUI Developer (2015 - 2017)\n- Led the UI team without Angular and Ajax.\n"
        "Skills\n- jQuery\n"
    )
    names = {s.name for s in profile.skills}
    assert "jQuery" in names
    assert not names & {"Angular", "AJAX"}


# ----------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("English", True),
        ("fluent Spanish and French", True),
        ("understand spoken English", True),
        ("German (C1)", True),
        ("natural language processing", False),
        ("SAS language", False),
        ("sign language", False),
        ("Python", False),
    ],
)
def test_is_language_names_human_languages_only(text, language):
    """Human languages (with levels and verbs of speaking) are languages; tech names are not."""
    assert is_language(text) is language


def test_languages_are_not_extracted_as_skills_but_esco_ranking_keeps_them():
    """extract() leaves English and Spanish out; ESCO labelling still ranks "English"."""
    extractor = load_skill_extractor()
    text = "Fluent in English and Spanish. Python and natural language processing."
    assert {m.skill.name for m in extractor.extract(text)} == {
        "Python",
        "natural language processing",
    }
    assert "English" in {m.skill.name for m in extractor.extract(text, languages=True)}
    assert extractor.rank_esco("communicate fluently in English", 3)[0].label == "English"


def test_a_resumes_languages_are_languages_not_skills():
    """A résumé's languages go to ``languages``; none of them is a skill."""
    profile = parse(
        "Skills\n- Python\n- English (native)\n- Spanish\nLanguages\nEnglish: native\n"
        "Spanish: fluent\n"
    )
    assert {language.name for language in profile.languages} == {"English", "Spanish"}
    assert {s.name for s in profile.skills} == {"Python"}


def test_a_posting_asking_for_a_language_asks_for_no_skill_of_it():
    """A requirement "Fluency in English" is not a skill requirement."""
    skills = asked("Requirements:\n- Fluency in English\n- Fluent Spanish\n- Python\n")
    assert set(skills) == {"Python"}
