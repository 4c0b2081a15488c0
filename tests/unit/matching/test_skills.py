"""The skill extractor, on a small hand-built taxonomy (the shipped one is tested separately)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold
from jobraker_core.matching.skills import (
    Skill,
    SkillExtractor,
    SkillKind,
    SkillMention,
    SkillTaxonomy,
    alias_key,
)

T = SkillKind.TECHNOLOGY
E = SkillKind.ESCO


def _skill(name: str, *aliases: str, kind: SkillKind = T, esco: tuple[str, ...] = ()) -> Skill:
    return Skill(f"test:{alias_key(name)}", name, kind, (name, *aliases), esco)


TAXONOMY = SkillTaxonomy(
    (
        _skill("Python", "python3", esco=("Python (computer programming)",)),
        _skill("Go", "golang"),
        _skill("Rust"),
        _skill("R", "rstudio", esco=("R",)),
        _skill("C"),
        _skill("C++", "cpp", esco=("C++",)),
        _skill("C#", "c sharp", esco=("C#",)),
        _skill(".NET", "dotnet"),
        _skill("ASP.NET"),
        _skill("Node.js", "nodejs"),
        _skill("Java", esco=("Java (computer programming)",)),
        _skill("JavaScript", "js", esco=("JavaScript",)),
        _skill("React"),
        _skill("React Native"),
        _skill("Kubernetes", "k8s"),
        _skill("PostgreSQL", "postgres"),
        _skill("Kafka"),
        _skill("Excel", "Microsoft Excel", esco=("use spreadsheets software",)),
        _skill("Chef"),
        _skill("machine learning", "ML", kind=E, esco=("machine learning",)),
        _skill("communication", "communication skills", kind=E, esco=("communication",)),
        _skill("solve problems", "problem solving", kind=E, esco=("solve problems",)),
        _skill("think critically", kind=E, esco=("think critically",)),
        _skill("manage budgets", kind=E, esco=("manage budgets",)),
    ),
    guarded=frozenset({"excel", "rust", "react"}),
    strict=frozenset({"chef"}),
)
EXTRACTOR = SkillExtractor(TAXONOMY)


def names(text: str) -> list[str]:
    """Return the names of the skills extracted from ``text``, in order."""
    return [m.skill.name for m in EXTRACTOR.extract(text)]


def required(text: str) -> dict[str, bool | None]:
    """Return what the extractor says about requiring each skill in ``text``."""
    return {m.skill.name: m.required for m in EXTRACTOR.extract(text)}


# ------------------------------------------------------------------------------------ values


def test_alias_keys_fold_punctuation_but_keep_the_symbols_of_tech_names():
    """Node.js, node js and NODE-JS share a key; C, C++, C# and .NET stay distinct."""
    assert alias_key("Node.js") == alias_key("node js") == alias_key("NODE-JS") == "node js"
    keys = {alias_key(name) for name in ("C", "C++", "C#", ".NET", "net")}
    assert keys == {"c", "c++", "c#", ".net", "net"}
    assert alias_key("ASP.NET") == "asp net"
    assert alias_key("Café Crème") == "cafe creme"


def test_a_skill_needs_an_id_a_name_and_aliases_with_letters():
    """Skill refuses an empty id or name and an alias made of punctuation only."""
    with pytest.raises(InvalidInput):
        Skill("", "Python", T, ("Python",))
    with pytest.raises(InvalidInput):
        Skill("x", " ", T, ("Python",))
    with pytest.raises(InvalidInput):
        Skill("x", "Python", T, ("--",))


def test_the_taxonomy_refuses_duplicate_ids_and_aliases_naming_two_skills():
    """Each id and each alias key belongs to one skill only."""
    with pytest.raises(InvalidInput):
        SkillTaxonomy((_skill("Go"), Skill("test:go", "Golang", T, ("golang",))))
    with pytest.raises(InvalidInput):
        SkillTaxonomy((_skill("Node.js"), _skill("Node", "node js")))


def test_the_taxonomy_finds_skills_by_any_alias_and_by_id():
    """find() folds its argument like the extractor does; get() looks up ids."""
    assert TAXONOMY.find("POSTGRES") is TAXONOMY.get("test:postgresql")
    assert TAXONOMY.find("node-js").name == "Node.js"  # type: ignore[union-attr]
    assert TAXONOMY.find("Haskell") is None
    assert len(TAXONOMY) == len(list(TAXONOMY))
    assert TAXONOMY.esco_labels()[0] == "C#"


def test_a_mention_is_the_text_it_covers():
    """A mention's text must be exactly the characters of its span."""
    python = TAXONOMY.find("Python")
    assert python is not None
    SkillMention(python, 3, 9, "Python")
    with pytest.raises(InvalidInput):
        SkillMention(python, 3, 9, "Pyth")
    with pytest.raises(InvalidInput):
        SkillMention(python, 3, 3, "")


# -------------------------------------------------------------------------------- extraction


def test_spans_point_at_the_evidence_in_the_source_text():
    """Each mention's (start, end) slices exactly its text out of the input."""
    text = "We run  Kubernetes (k8s) and Postgres\n- Node.js, C++ and C# on .NET"
    mentions = EXTRACTOR.extract(text)
    assert [m.text for m in mentions] == [
        "Kubernetes", "k8s", "Postgres", "Node.js", "C++", "C#", ".NET",
    ]  # fmt: skip
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert [m.skill.name for m in mentions][:3] == ["Kubernetes", "Kubernetes", "PostgreSQL"]


def test_synonyms_and_spelling_variants_resolve_to_the_canonical_skill():
    """k8s, postgres, golang, nodejs, NODE.JS, dotnet and cpp name their canonical skills."""
    text = "k8s, postgres, golang, nodejs, NODE.JS, dotnet, cpp, c sharp"
    assert names(text) == [
        "Kubernetes", "PostgreSQL", "Go", "Node.js", "Node.js", ".NET", "C++", "C#",
    ]  # fmt: skip


def test_accented_and_fullwidth_text_still_points_at_the_original_characters():
    """Folding non-ASCII text keeps the spans on the original characters."""
    python = "\uff30\uff59\uff54\uff48\uff4f\uff4e"  # "Python" in full-width letters
    text = f"Expérience: {python} et Kubernetés"
    mentions = EXTRACTOR.extract(text)
    assert [(m.skill.name, m.text) for m in mentions] == [
        ("Python", python),
        ("Kubernetes", "Kubernetés"),
    ]
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_the_longest_alias_wins_and_nothing_matches_inside_a_word():
    """The longest alias wins ("React Native"); "Javanese" and "Pythonic" name nothing."""
    assert names("Experience with React Native and React.") == ["React Native", "React"]
    assert names("Javanese culture, a Pythonic style, Goa, Rcpp") == []
    assert names("JavaScript, not Java") == ["JavaScript", "Java"]


def test_aliases_never_span_a_line_or_sentence_break():
    """A line break separates words: "React" then "Native" on the next line is not one skill."""
    assert names("We love React\nNative apps are great") == ["React"]
    assert names("I know C. Sharp minds apply") == []


def test_short_and_everyday_words_are_not_skills_in_ordinary_prose():
    """In prose, "go to market", "a C-level", "R&D", "Plan C" or "excel at" name no skill."""
    prose = (
        "We go to market fast. Go-to-market plans for a C-level audience. Our R&D team grew.\n"
        "Plan C is ready. Vitamin C helps. Let's go! You will excel at this. Grade: C.\n"
        "Excel in a fast-paced environment. React quickly to incidents. Rust never sleeps.\n"
        "Our Chef cooks every day. Add 5 ml of water."
    )
    assert names(prose) == []


def test_short_and_everyday_words_count_in_a_clear_technical_context():
    """Go, R, C, Rust and ML count next to other technologies or programming words."""
    assert names("Python, Go and Rust") == ["Python", "Go", "Rust"]
    assert names("Strong programming skills in Go") == ["Go"]
    assert names("Statistics with R and Python") == ["R", "Python"]
    assert names("Low-level C/C++ code") == ["C", "C++"]
    assert names("Advanced Excel skills are needed") == ["Excel"]
    assert names("We deploy with Chef and Kubernetes") == ["Chef", "Kubernetes"]


def test_a_guarded_word_must_be_written_as_the_alias_is():
    """A guarded word keeps its case: "GO" and "excel" do not count even beside a technology."""
    assert names("Python, GO, excel") == ["Python"]


def test_a_one_word_list_item_counts_when_its_neighbours_are_technologies():
    """A bulleted "- Go" between other bulleted technologies is the language."""
    assert names("Stack:\n- Kafka\n- Go\n- Python") == ["Kafka", "Go", "Python"]
    assert names("Tools:\n- Excel\n- React\n\n- Rust never sleeps") == ["Excel", "React"]
    assert names("We use Kafka.\nGo\n") == ["Kafka"]


# ------------------------------------------------------------------------------ requirement


def test_requirement_sections_mark_skills_required_or_nice_to_have():
    """Skills under "Requirements:" are required, under "Nice to have:" are not."""
    text = (
        "About us: we build payments with Kafka.\n\n"
        "Requirements:\n- 5+ years of Python\n- PostgreSQL and Kubernetes\n\n"
        "Nice to have:\n- Go\n- Rust, Node.js\n\n"
        "Benefits:\n- free Excel training, obviously"
    )
    assert required(text) == {
        "Kafka": None,
        "Python": True,
        "PostgreSQL": True,
        "Kubernetes": True,
        "Go": False,
        "Rust": False,
        "Node.js": False,
        "Excel": None,
    }


def test_known_headings_without_a_colon_open_sections_too():
    """A heading line such as "Preferred Qualifications" sets the section."""
    text = "Minimum Qualifications\nJava and Kafka\nPreferred Qualifications\nKubernetes"
    assert required(text) == {"Java": True, "Kafka": True, "Kubernetes": False}


def test_an_inline_heading_speaks_for_its_own_line_only():
    """An inline "Nice to have: Go" marks Go; the next plain line is back in the open section."""
    text = "Requirements:\nPython\nNice to have: Go, Rust\nPostgreSQL"
    assert required(text) == {"Python": True, "Go": False, "Rust": False, "PostgreSQL": True}


def test_sentence_cues_beat_the_section():
    """Sentence cues beat the section: "is a plus" under Requirements is nice to have."""
    text = (
        "Requirements:\n- Python\n- Kafka is a plus\n"
        "About the team:\nYou must have Kubernetes experience."
    )
    assert required(text) == {"Python": True, "Kafka": False, "Kubernetes": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Must have Python and Java, nice to have Go and Rust.",
         {"Python": True, "Java": True, "Go": False, "Rust": False}),
        ("Python is required, Go is a plus.", {"Python": True, "Go": False}),
        ("Python required; Kafka preferred", {"Python": True, "Kafka": False}),
        ("Knowledge of PostgreSQL is a plus but not required", {"PostgreSQL": False}),
        ("Ideally you know React and Node.js", {"React": False, "Node.js": False}),
        ("At least 3 years of Java", {"Java": True}),
        ("Preferred: Kubernetes", {"Kubernetes": False}),
        ("Bonus points for Rust or Go", {"Rust": False, "Go": False}),
        ("We use Kafka and PostgreSQL", {"Kafka": None, "PostgreSQL": None}),
    ],
)  # fmt: skip
def test_requirement_cues_in_a_sentence(text, expected):
    """The nearest cue that points at a skill decides whether it is required."""
    assert required(text) == expected


def test_resume_lines_yield_skills_with_no_requirement():
    """A résumé names skills without requiring anything: required stays None."""
    resume = (
        "Jane Doe — Backend developer\n"
        "Skills: Python, Go, PostgreSQL, k8s, problem solving, communication skills\n"
        "2019-2023 Acme: built services in Go and Python; ML pipelines in Python.\n"
    )
    mentions = EXTRACTOR.extract(resume)
    assert [m.skill.name for m in mentions] == [
        "Python", "Go", "PostgreSQL", "Kubernetes", "solve problems", "communication",
        "Go", "Python", "machine learning", "Python",
    ]  # fmt: skip
    assert {m.required for m in mentions} == {None}


def test_distinct_keeps_the_first_mention_and_the_strongest_requirement():
    """distinct() gives one mention per skill; required wins over nice to have over unknown."""
    text = "We use Python.\nNice to have: Kafka\nRequirements:\n- Python\n- Kafka is a plus"
    distinct = EXTRACTOR.distinct(text)
    assert [(m.skill.name, m.text, m.start, m.required) for m in distinct] == [
        ("Python", "Python", 7, True),
        ("Kafka", "Kafka", 29, False),
    ]


# --------------------------------------------------------------------------- ESCO ranking


def test_rank_esco_puts_the_labels_of_named_skills_first():
    """Named skills' ESCO labels lead the ranking, with their evidence."""
    ranked = EXTRACTOR.rank_esco("Strong Python and communication skills", limit=5)
    assert [r.label for r in ranked[:2]] == ["communication", "Python (computer programming)"]
    assert ranked[0].evidence is not None
    assert ranked[0].evidence.text == "communication skills"
    assert ranked[1].score < ranked[0].score


def test_rank_esco_falls_back_to_shared_words_when_no_alias_matches():
    """A sentence naming no skill still ranks the labels it shares stemmed words with."""
    ranked = EXTRACTOR.rank_esco("You are great at solving problems and budgeting", limit=3)
    assert ranked[0].label == "solve problems"
    assert ranked[0].evidence is None
    assert 0 < ranked[0].score < 1
    assert [r.label for r in ranked] == ["solve problems", "manage budgets"]
    assert EXTRACTOR.rank_esco("nothing relevant here", limit=3) == ()


def test_rank_esco_without_mentions_ranks_by_words_alone():
    """mentions=False ignores alias matches."""
    ranked = EXTRACTOR.rank_esco("communication skills", mentions=False)
    assert [r.label for r in ranked] == ["communication"]
    assert ranked[0].evidence is None


# ------------------------------------------------------------------------------- properties

SNIPPETS = (
    "Python", "Go", "golang", "R", "C", "C++", "C#", ".NET", "nodejs", "Node.js", "React",
    "React Native", "k8s", "postgres", "Excel", "excel", "ML", "machine learning", "Chef",
    "communication skills", "go to market", "C-level", "R&D", "Requirements:", "Nice to have:",
    "is a plus", "must have", "and", "or", "with", "the", "team", "programming", "in", ",", ".",
    ";", "\n", "- ", "(", ")", "/", "Senior", "We", "build", "fast",
)  # fmt: skip
texts = st.lists(st.sampled_from(SNIPPETS), max_size=30).map(" ".join)
noise = st.text(max_size=60)


def _identity(mentions: tuple[SkillMention, ...], shift: int = 0) -> set[tuple[str, int, int]]:
    return {(m.skill.id, m.start + shift, m.end + shift) for m in mentions}


@settings(max_examples=200, deadline=None)
@given(texts)
def test_extraction_is_deterministic(text):
    """The same text always gives the same mentions, in the same order."""
    assert EXTRACTOR.extract(text) == EXTRACTOR.extract(text)
    assert SkillExtractor(TAXONOMY).extract(text) == EXTRACTOR.extract(text)


@settings(max_examples=200, deadline=None)
@given(texts | noise)
def test_every_span_folds_to_an_alias_of_its_skill(text):
    """Each mention's text folds (as jobraker_core.jobs.text.fold) to one of its skill's aliases."""
    for mention in EXTRACTOR.extract(text):
        assert text[mention.start : mention.end] == mention.text
        assert fold(mention.text) in {fold(alias) for alias in mention.skill.aliases}


@settings(max_examples=200, deadline=None)
@given(texts, noise)
def test_adding_an_unrelated_line_never_removes_a_mention(text, extra):
    """Appending or prepending a separate line keeps every mention (shifted when prepended)."""
    before = _identity(EXTRACTOR.extract(text))
    assert before <= _identity(EXTRACTOR.extract(f"{text}\n{extra}"))
    prefix = f"{extra}\n"
    assert before <= _identity(EXTRACTOR.extract(prefix + text), shift=-len(prefix))
