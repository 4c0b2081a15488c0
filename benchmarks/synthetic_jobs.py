"""Synthetic job postings for the vector benchmark: varied, with realistic lengths and topics.

``varied_texts(count, seed, data_dir)`` makes postings that do not repeat one another. Each one:

- belongs to an O*NET occupation (drawn with a long tail: a few occupations are common, most
  are rare, as on a real job board) and is titled with one of that occupation's alternate
  titles (56,000 of them), with a seniority prefix now and then;
- has a body of sentences from three to six of the shipped demo postings, taken first from
  postings whose title normalises to the same O*NET major group (so a nurse's posting reads like
  health care), the rest from anywhere (boilerplate: benefits, equal opportunity, company blurbs);
- asks for five to twelve of the occupation's O*NET technology skills, in a requirements list
  phrased as real postings phrase them, some marked as nice to have.

Two postings of one occupation share title words, skills and the register of their sentences, but
hardly ever the same sentences in the same mix: the corpus has topics, not thousands of copies.
The older ``hash`` generator of ``benchmarks.vectors`` (shuffled sentences of one of 500 demo
postings) makes about ``count / 500`` near-copies of each, a near-duplicate stress case that a
job board de-duplicates at ingestion; both are reported.

Needs ``onet29.2_technology_skills.tsv`` in ``data_dir`` (the shared data folder); titles and
occupations come from the project's taxonomy data.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import random
import re
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from jobraker_adapters.taxonomy.loader import load_title_normaliser

TECH_SKILLS_FILE = "onet29.2_technology_skills.tsv"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_LEVELS = ("", "", "", "Senior ", "Junior ", "Lead ", "Principal ", "Staff ", "Associate ")
_ASK = (
    "Experience with {}.",
    "Proficiency in {}.",
    "Working knowledge of {}.",
    "Hands-on experience using {}.",
    "Familiarity with {}.",
    "{} skills.",
    "Strong background in {}.",
)
_NICE = ("Nice to have: {}.", "A plus: experience with {}.", "Bonus if you have used {}.")


@functools.cache
def _demo() -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The demo postings and, by O*NET major group (``"15"``, ...), the indexes of its postings."""
    postings = demo_postings()
    normaliser = load_title_normaliser()
    groups: dict[str, list[int]] = defaultdict(list)
    for n, posting in enumerate(postings):
        found = normaliser.normalise(str(posting.get("title") or ""))
        if found is not None:
            groups[found.code[:2]].append(n)
    return postings, dict(groups)


def demo_postings() -> list[dict[str, Any]]:
    """The shipped demo postings (``jobraker_adapters.sources`` data), as their JSON objects."""
    text = (resources.files("jobraker_adapters.sources") / "data" / "demo_jobs.jsonl").read_text(
        encoding="utf-8"
    )
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sentences(posting: dict[str, Any], *, fallback: str) -> list[str]:
    """A posting's description sentences longer than 20 characters; ``[fallback]`` if none."""
    found = _SENTENCE.split(str(posting.get("description") or ""))
    return [s for s in found if len(s) > 20] or [fallback]


@functools.cache
def _occupations(data_dir: Path) -> list[tuple[str, list[str], list[str]]]:
    """(code, alternate titles, technology skills) of each occupation with both."""
    skills: dict[str, list[str]] = defaultdict(list)
    with (data_dir / TECH_SKILLS_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            skills[row["O*NET-SOC Code"]].append(row["Example"])
    titles: dict[str, list[str]] = defaultdict(list)
    table = resources.files("jobraker_adapters.taxonomy") / "data" / "alternate_titles.tsv.gz"
    with gzip.open(str(table), "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            titles[row["code"]].append(row["title"])
    return [
        (code, titles[code], sorted(set(found)))
        for code, found in sorted(skills.items())
        if titles.get(code) and len(set(found)) >= 5
    ]


def varied_texts(count: int, seed: int, data_dir: Path) -> list[str]:
    """``count`` varied synthetic postings (see the module doc), the same for the same seed."""
    postings, groups = _demo()
    pieces = [sentences(p, fallback="Join our team.") for p in postings]
    companies = sorted({str(p.get("company") or "") for p in postings} - {""})
    occupations = _occupations(data_dir)
    rng = random.Random(seed)
    order = list(range(len(occupations)))
    random.Random(0).shuffle(order)  # which occupations are common: fixed, not per seed
    weights = [1.0 / (rank + 5) for rank in range(len(order))]
    texts = []
    for pick in rng.choices(order, weights=weights, k=count):
        code, titles, skills = occupations[pick]
        near = groups.get(code[:2], [])
        sources = rng.sample(near, min(len(near), rng.randint(1, 3)))
        sources += rng.sample(range(len(postings)), 6 - len(sources) - rng.randint(0, 2))
        body: list[str] = []
        for n in sources:
            own = pieces[n]
            body += rng.sample(own, max(1, int(len(own) * rng.uniform(0.1, 0.28))))
        rng.shuffle(body)
        asked = rng.sample(skills, min(len(skills), rng.randint(5, 12)))
        nice = asked[: rng.randint(0, 3)]
        lines = [rng.choice(_ASK).format(skill) for skill in asked[len(nice) :]]
        lines += [rng.choice(_NICE).format(skill) for skill in nice]
        title = f"{rng.choice(_LEVELS)}{rng.choice(titles)}"
        texts.append(
            f"{title}\n{rng.choice(companies)}\n"
            + " ".join(body)
            + "\nRequirements:\n"
            + "\n".join(f"- {line}" for line in lines)
        )
    return texts
