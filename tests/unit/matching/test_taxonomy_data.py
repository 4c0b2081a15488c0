"""The shipped taxonomy data: it loads, stays small, and holds the skills people look for."""

from __future__ import annotations

from importlib import resources

import pytest

from jobraker_adapters.taxonomy import (
    load_skill_extractor,
    load_taxonomy,
    load_title_normaliser,
    parse_skills,
    parse_titles,
)
from jobraker_core.errors import ConfigurationError
from jobraker_core.matching.skills import SkillKind

DATA = resources.files("jobraker_adapters.taxonomy") / "data"
HEADER = "id\tkind\tname\thot\tesco_labels\taliases\n"


def test_the_shipped_files_are_small():
    """Every shipped data file, and all of them together, stay well under 3 MB."""
    sizes = {item.name: len(item.read_bytes()) for item in DATA.iterdir() if item.is_file()}
    assert {"skills.tsv.gz", "occupations.tsv", "alternate_titles.tsv.gz"} <= set(sizes)
    assert sum(sizes.values()) < 3 * 1024 * 1024


def test_the_taxonomy_loads_once_with_both_kinds_of_skill():
    """About 20,000 skills: O*NET technologies and ESCO skills, cached per process."""
    taxonomy = load_taxonomy()
    assert taxonomy is load_taxonomy()
    assert 15_000 < len(taxonomy) < 40_000
    kinds = {skill.kind for skill in taxonomy}
    assert kinds == {SkillKind.TECHNOLOGY, SkillKind.ESCO}
    assert any(skill.hot for skill in taxonomy)


def test_every_esco_v1_1_label_is_kept():
    """All 13,896 ESCO v1.1 skill labels are some skill's ESCO label (plus v1.2 digital ones)."""
    labels = load_taxonomy().esco_labels()
    assert len(labels) >= 13_896
    assert {"communication", "work in teams", "manage budgets", "SQL"} <= set(labels)


@pytest.mark.parametrize(
    ("alias", "name", "esco"),
    [
        ("Python", "Python", "Python (computer programming)"),
        ("Kubernetes", "Kubernetes", None),
        ("k8s", "Kubernetes", None),
        ("PostgreSQL", "PostgreSQL", "PostgreSQL"),
        ("postgres", "PostgreSQL", "PostgreSQL"),
        ("React", "React", None),
        ("reactjs", "React", None),
        ("Excel", "Excel", "use spreadsheets software"),
        ("Microsoft Excel", "Excel", "use spreadsheets software"),
        ("Java", "Java", "Java (computer programming)"),
        ("js", "JavaScript", "JavaScript"),
        ("TypeScript", "TypeScript", "TypeScript"),
        ("golang", "Go", None),
        ("C++", "C++", "C++"),
        ("C#", "C#", "C#"),
        ("dotnet", ".NET", "Visual Studio .NET"),
        ("nodejs", "Node.js", None),
        ("Docker", "Docker", None),
        ("AWS", "Amazon Web Services", "cloud technologies"),
        ("ML", "machine learning", "machine learning"),
        ("SQL", "SQL", "SQL"),
        ("R", "R", "R"),
    ],
)
def test_key_technologies_and_their_synonyms_are_present(alias, name, esco):
    """The skills job adverts name most, under their usual spellings, with their ESCO label."""
    skill = load_taxonomy().find(alias)
    assert skill is not None
    assert skill.name == name
    assert skill.kind is SkillKind.TECHNOLOGY or name == "machine learning"
    if esco is not None:
        assert esco in skill.esco_labels


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("administer prescribed medication", "administer prescribed medication"),
        ("medication administration", "administer prescribed medication"),
        ("vital signs", "monitor patient's vital signs"),
        ("infection control", "infection control"),
        ("wound care", "carry out wound care"),
        ("CPR", "resuscitation"),
        ("use electronic health records in nursing", "use electronic health records in nursing"),
        ("teamwork", "work in teams"),
        ("problem solving", "solve problems"),
        ("English", "English"),
    ],
)
def test_esco_skills_beyond_technology_are_present(alias, name):
    """Nursing, transversal and language skills come from ESCO, with curated synonyms."""
    skill = load_taxonomy().find(alias)
    assert skill is not None
    assert (skill.name, skill.kind) == (name, SkillKind.ESCO)


def test_ambiguous_short_aliases_are_guarded():
    """Go, R, C, Excel and Chef need a clear context; Python does not."""
    taxonomy = load_taxonomy()
    assert all(taxonomy.is_guarded(key) for key in ("go", "r", "c", "excel", "chef", "spring"))
    assert {"chef", "spring"} <= taxonomy.strict
    assert not taxonomy.is_guarded("python")


def test_a_real_tech_posting_yields_its_skills_with_requirements():
    """A posting's skills come out canonical, with evidence and required / nice to have."""
    posting = (
        "Senior Backend Engineer (m/w/d)\n"
        "We help C-level leaders with our go-to-market analytics. Our R&D team sits in Berlin.\n"
        "What you'll need:\n"
        "- 5+ years with Python and Postgres\n"
        "- Experience running k8s on AWS\n"
        "- Strong communication skills\n"
        "Nice to have:\n"
        "- Go or Rust\n"
        "- Kafka\n"
        "Go to our careers page and excel in your application!"
    )
    mentions = load_skill_extractor().distinct(posting)
    found = {m.skill.name: m.required for m in mentions}
    assert found == {
        "Python": True,
        "PostgreSQL": True,
        "Kubernetes": True,
        "Amazon Web Services": True,
        "communication": True,
        "Go": False,
        "Rust": False,
        "Apache Kafka": False,
    }
    assert all(posting[m.start : m.end] == m.text for m in mentions)


def test_a_nursing_posting_yields_clinical_skills():
    """Clinical synonyms (BLS, medication administration, EHR) map to ESCO skills."""
    posting = (
        "Registered Nurse - Med/Surg\n"
        "Requirements: current BLS and ACLS; experience with medication administration, "
        "wound care and vital signs monitoring; EHR documentation.\n"
        "Preferred: Epic experience."
    )
    found = {m.skill.name: m.required for m in load_skill_extractor().distinct(posting)}
    assert found["resuscitation"] is True
    assert found["administer prescribed medication"] is True
    assert found["carry out wound care"] is True
    assert found["monitor patient's vital signs"] is True
    assert found["electronic health records"] is True


def test_the_shipped_ranking_names_the_esco_skills_of_a_sentence():
    """rank_esco puts the ESCO labels of the technologies a sentence names first."""
    ranked = load_skill_extractor().rank_esco("Experience with Java and JavaScript", limit=5)
    assert {"Java (computer programming)", "JavaScript"} <= {r.label for r in ranked[:3]}


def test_the_title_data_covers_every_o_net_occupation():
    """All 1,016 O*NET 29.2 occupations are known to the shipped normaliser."""
    normaliser = load_title_normaliser()
    assert len(normaliser._occupations) == 1016


def test_parse_skills_reads_guard_marks():
    """In skills.tsv, an alias written ~X is guarded and ~~X strict."""
    taxonomy = parse_skills(
        HEADER
        + "t:go\ttechnology\tGo\t1\t\t~Go | golang\n"
        + "t:chef\ttechnology\tChef\t0\tChef (tools)\t~~Chef\n"
        + "e:x\tesco\tcommunication\t0\tcommunication\tcommunication | communication skills\n"
    )
    assert taxonomy.guarded == {"go"}
    assert taxonomy.strict == {"chef"}
    go = taxonomy.find("golang")
    assert go is not None
    assert (go.name, go.aliases, go.hot) == ("Go", ("Go", "golang"), True)
    assert taxonomy.find("Chef").esco_labels == ("Chef (tools)",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "id\tname\n",
        "",
        HEADER + "t:go\ttechnology\tGo\t0\t\n",
        HEADER + "t:go\tlanguage\tGo\t0\t\tGo\n",
        HEADER + "t:go\ttechnology\tGo\t0\t\tGo\nt:golang\ttechnology\tGolang\t0\t\tgo\n",
    ],
)
def test_malformed_skill_data_is_a_configuration_error(text):
    """A wrong header, a short row, an unknown kind or a clashing alias is reported, not guessed."""
    with pytest.raises(ConfigurationError):
        parse_skills(text)


def test_malformed_title_data_is_a_configuration_error():
    """Title files without their header are refused."""
    with pytest.raises(ConfigurationError):
        parse_titles("code\ttitle\n", "title\n")
