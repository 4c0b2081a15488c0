"""Loading the shipped taxonomy files (package data, read with ``importlib.resources``).

Files, all UTF-8, tab-separated with a header row, written by ``scripts/build_taxonomy.py``:

- ``skills.tsv.gz``: ``id kind name hot esco_labels aliases``; lists are ``" | "``-separated and
  an alias written ``~Excel`` is guarded, ``~~Chef`` strict (see ``SkillTaxonomy``);
- ``occupations.tsv``: ``code title`` of every O*NET occupation;
- ``alternate_titles.tsv.gz``: ``code title``, the O*NET alternate titles of each occupation.

Nothing is read at import time; each loader reads once and caches its result for the process.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zlib
from importlib import resources

from jobraker_core.errors import ConfigurationError, InvalidInput
from jobraker_core.matching.skills import (
    Skill,
    SkillExtractor,
    SkillKind,
    SkillTaxonomy,
    TitleNormaliser,
    alias_key,
)

_PACKAGE = "jobraker_adapters.taxonomy"
SKILLS_FILE = "skills.tsv.gz"
OCCUPATIONS_FILE = "occupations.tsv"
ALTERNATE_TITLES_FILE = "alternate_titles.tsv.gz"
_SKILL_COLUMNS = ["id", "kind", "name", "hot", "esco_labels", "aliases"]
_TITLE_COLUMNS = ["code", "title"]


def _read(name: str) -> str:
    """Return the text of a shipped data file, unzipped; ``ConfigurationError`` if unreadable."""
    try:
        raw = (resources.files(_PACKAGE) / "data" / name).read_bytes()
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise ConfigurationError(f"the taxonomy data file {name} is unreadable: {error}") from error


def _rows(text: str, name: str, columns: list[str]) -> list[list[str]]:
    lines = text.splitlines()
    if not lines or lines[0].split("\t") != columns:
        raise ConfigurationError(f"the taxonomy data file {name} does not start with {columns}")
    rows = [line.split("\t") for line in lines[1:] if line]
    for number, row in enumerate(rows, 2):
        if len(row) != len(columns):
            raise ConfigurationError(
                f"{name} line {number} has {len(row)} cells, not {len(columns)}"
            )
    return rows


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(" | ") if part.strip()]


def parse_skills(text: str) -> SkillTaxonomy:
    """Build the taxonomy from the text of ``skills.tsv`` (see the module docstring)."""
    skills: list[Skill] = []
    guarded: set[str] = set()
    strict: set[str] = set()
    try:
        for skill_id, kind, name, hot, labels, cell in _rows(text, SKILLS_FILE, _SKILL_COLUMNS):
            aliases: list[str] = []
            for marked in _split(cell):
                alias = marked.lstrip("~")
                if marked.startswith("~~"):
                    strict.add(alias_key(alias))
                elif marked.startswith("~"):
                    guarded.add(alias_key(alias))
                aliases.append(alias)
            skills.append(
                Skill(
                    skill_id,
                    name,
                    SkillKind(kind),
                    tuple(aliases),
                    tuple(_split(labels)),
                    hot == "1",
                )
            )
        return SkillTaxonomy(tuple(skills), frozenset(guarded), frozenset(strict))
    except (InvalidInput, ValueError) as error:  # a value the core refuses, an unknown kind
        raise ConfigurationError(f"the taxonomy data is inconsistent: {error}") from error


def parse_titles(occupations: str, alternates: str) -> TitleNormaliser:
    """Build the title normaliser from the texts of ``occupations.tsv`` and the alternate titles."""
    codes = dict(_rows(occupations, OCCUPATIONS_FILE, _TITLE_COLUMNS))
    pairs = [
        (code, title) for code, title in _rows(alternates, ALTERNATE_TITLES_FILE, _TITLE_COLUMNS)
    ]
    return TitleNormaliser(codes, pairs)


@functools.cache
def load_taxonomy() -> SkillTaxonomy:
    """Return the shipped skills taxonomy (read once per process)."""
    return parse_skills(_read(SKILLS_FILE))


@functools.cache
def load_skill_extractor() -> SkillExtractor:
    """Return an extractor over the shipped taxonomy (built once per process)."""
    return SkillExtractor(load_taxonomy())


@functools.cache
def load_title_normaliser() -> TitleNormaliser:
    """Return a title normaliser over the shipped O*NET titles (read once per process)."""
    return parse_titles(_read(OCCUPATIONS_FILE), _read(ALTERNATE_TITLES_FILE))


@functools.cache
def taxonomy_version() -> str:
    """A short digest of the shipped taxonomy files: job analyses made from other data are stale."""
    digest = hashlib.sha256()
    for name in (SKILLS_FILE, OCCUPATIONS_FILE, ALTERNATE_TITLES_FILE):
        digest.update(name.encode())
        digest.update(_read(name).encode())
    return digest.hexdigest()[:12]
