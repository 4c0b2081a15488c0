# ruff: noqa: INP001 - a stand-alone development script, not part of any package
"""Regenerate the skills taxonomy and job-title data shipped in ``jobraker_adapters.taxonomy``.

A development tool, not part of the product: it reads the public sources in ``../shared/data``
(see its README for what each file is) plus the hand-written files in
``src/jobraker_adapters/taxonomy/data/curated/``, and writes

- ``skills.tsv.gz``: one canonical skill a row (id, kind, name, hot, ESCO labels, aliases);
- ``occupations.tsv``: O*NET occupation codes and titles;
- ``alternate_titles.tsv.gz``: O*NET alternate job titles, by occupation code.

Run from the repository root::

    .venv/bin/python scripts/build_taxonomy.py [--data ../shared/data]
        [--occupation-data "path/to/O*NET Occupation Data.txt"]

The O*NET occupation titles are not among the shared data files; without ``--occupation-data``
(the ``Occupation Data.txt`` of the same O*NET 29.2 release) the shipped ``occupations.tsv`` is
kept as it is. The output is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import collections
import csv
import functools
import gzip
import io
import json
import re
import sys
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from jobraker_adapters.taxonomy import loader  # noqa: E402 - after the path is set
from jobraker_core.matching import skills  # noqa: E402

OUT = ROOT / "src" / "jobraker_adapters" / "taxonomy" / "data"
CURATED = OUT / "curated"

ONET_TECH = "onet29.2_technology_skills.tsv"
ONET_TITLES = "onet29.2_alternate_titles.tsv"
ESCO_DIGITAL = "esco1.2.0_digitalSkillsCollection_en.csv"
ESCO_LABELS = "esco_v1.1.0_skill_labels.txt"
CORPUS = ("linkedin_postings_2023_24_sample500.csv", "rjdb_dev300.jsonl")

ENGLISH_STOPWORDS = frozenset(
    str.split(
        """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she should
    so some such than that the their theirs them then there these they this those through to too
    under until up us very was we were what when where which while who whom why will with would
    you your yours one two new get got"""
    )
)

ROMAN_NUMERALS = frozenset(str.split("i ii iii iv v vi vii viii ix x xi xii"))

csv.field_size_limit(sys.maxsize)


@functools.cache
def alias_key(alias: str) -> str:
    """The core's alias key, cached: the build computes it for the same strings many times."""
    return skills.alias_key(alias)


@attrs.define
class Draft:
    """A skill while the build merges sources into it."""

    id: str
    name: str
    kind: str
    aliases: dict[str, str]  # surface -> source: name, derived, acronym, alt (ESCO), curated
    esco: list[str]
    hot: bool = False
    weight: int = 0  # how many O*NET occupations list it; ranks merge representatives
    curated: bool = False


def log(message: str) -> None:
    """Report progress on stderr."""
    print(message, file=sys.stderr)  # noqa: T201 - a build script reports on stderr


# ------------------------------------------------------------------------------ common words


class Vocabulary:
    """Tells whether a word is an everyday English word, from ESCO labels and real job adverts."""

    def __init__(self, data: Path, esco_general: list[str]) -> None:
        # words of ESCO's lower-case skill phrases ("harvest crops"), not of product names
        self.general = {
            t for label in esco_general if label == label.lower() for t in alias_key(label).split()
        }
        self.lower: collections.Counter[str] = collections.Counter()
        self.total: collections.Counter[str] = collections.Counter()
        for text in corpus_texts(data):
            for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", text):
                folded = word.lower()
                self.total[folded] += 1
                self.lower[folded] += word.islower()

    def common(self, key: str) -> bool:
        """Tell whether an alias key is one everyday word (so unsafe as an alias on its own)."""
        if " " in key:
            return False
        if key in ENGLISH_STOPWORDS or key in self.general:
            return True
        lower, total = self.lower[key], self.total[key]
        return lower >= 2 and lower >= 0.3 * total  # noqa: PLR2004


def corpus_texts(data: Path) -> list[str]:
    """Return the job adverts and résumés of the shared data: real prose to count words in."""
    texts: list[str] = []
    with (data / CORPUS[0]).open(encoding="utf-8") as handle:
        texts.extend(row.get("description") or "" for row in csv.DictReader(handle))
    with (data / CORPUS[1]).open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts.extend(v for v in record.values() if isinstance(v, str))
    return texts


# ---------------------------------------------------------------------------------- sources


def slug(name: str) -> str:
    """Return an id-friendly form of a name ("Node.js" -> "node-js", "C++" -> "c++")."""
    return alias_key(name).replace(" ", "-")


def unique_id(prefix: str, name: str, taken: set[str]) -> str:
    """Return ``prefix:slug`` for ``name``, numbered if taken; record it as taken."""
    base = f"{prefix}:{slug(name)}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def read_curated_list(name: str) -> list[str]:
    """Return the entries of a curated one-per-line file, without comments or blank lines."""
    lines = (CURATED / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def esco_drafts(
    data: Path, vocabulary: Vocabulary, unmatched: set[str], taken: set[str]
) -> tuple[list[Draft], set[str]]:
    """One skill per ESCO label (v1.1 and the v1.2 digital skills), and the guarded keys."""
    labels = (data / ESCO_LABELS).read_text(encoding="utf-8").splitlines()
    with (data / ESCO_DIGITAL).open(encoding="utf-8") as handle:
        digital = {row["preferredLabel"].strip(): row for row in csv.DictReader(handle)}
    names = sorted({label.strip() for label in labels if label.strip()} | set(digital))
    drafts: list[Draft] = []
    guarded: set[str] = set()
    for label in names:
        aliases = {label: "name"}
        base = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
        if base != label and alias_key(base) and alias_key(base) not in unmatched:
            aliases[base] = "derived"
            if vocabulary.common(alias_key(base)):
                guarded.add(alias_key(base))
        row = digital.get(label)
        if row is not None:
            for alt in (a.strip() for a in (row.get("altLabels") or "").split(" | ")):
                if keep_esco_alt(label, alt, vocabulary, unmatched):
                    aliases.setdefault(alt, "alt")
                    if vocabulary.common(alias_key(alt)):
                        guarded.add(alias_key(alt))
        drafts.append(Draft(unique_id("esco", label, taken), label, "esco", aliases, [label]))
    return drafts, guarded


def keep_esco_alt(label: str, alt: str, vocabulary: Vocabulary, unmatched: set[str]) -> bool:
    """Drop the noisy ESCO alternate labels: unrelated single words ("SQL" -> "Subquery")."""
    key = alias_key(alt)
    if not key or key in unmatched or key in ENGLISH_STOPWORDS or len(key) < 2:  # noqa: PLR2004
        return False
    if " " in key:
        return True
    own = alias_key(re.sub(r"\([^)]*\)", " ", label)).split()
    shares = any(key.startswith(w[:4]) or w.startswith(key[:4]) for w in own if len(w) > 2)  # noqa: PLR2004
    return (shares or is_abbreviation(alt, " ".join(own), strict=True)) and not vocabulary.common(
        key
    )


def is_abbreviation(short: str, words: str, *, strict: bool = False) -> bool:
    """Tell whether ``short`` abbreviates ``words``.

    Its letters must appear in ``words`` in order, the first one in the first word, and at
    least half of them must be initials of the words, in order ("SQL", "JSON", "XML" for
    "extensible markup language"; not "SAS" for "statistics DATAS for"). ``strict`` asks for
    every letter to be an initial ("GIS" abbreviates "geographic information systems", "GPS"
    does not): ESCO's alternate labels need that, O*NET's "<name> <ACRONYM>" names do not.
    """
    letters = [c for c in short.lower() if c.isalnum()]
    text = words.lower()
    names = re.findall(r"[a-z0-9]+", text)
    if len(letters) < 2 or not names or letters[0] not in names[0]:  # noqa: PLR2004
        return False
    position = 0
    for letter in letters:
        position = text.find(letter, position)
        if position < 0:
            return False
        position += 1
    matched, cursor = 0, 0
    for initial in (name[0] for name in names):
        found = initial in letters[cursor:]
        if found:
            cursor = letters.index(initial, cursor) + 1
            matched += 1
    if strict:
        return matched == len(letters) and letters[0] == names[0][0]
    return matched * 2 >= len(letters)


def onet_drafts(
    data: Path, vocabulary: Vocabulary, vendors: list[str], unmatched: set[str], taken: set[str]
) -> list[Draft]:
    """One skill per distinct O*NET technology name, with its derived names as aliases."""
    counts: collections.Counter[str] = collections.Counter()
    hot: set[str] = set()
    with (data / ONET_TECH).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name = " ".join(row["Example"].split())
            counts[name] += 1
            if row["Hot Technology"] == "Y" or row["In Demand"] == "Y":
                hot.add(name)
    drafts: list[Draft] = []
    for name in sorted(counts):
        aliases = {name: "name"}
        for variant, source in onet_variants(name, vendors, vocabulary):
            key = alias_key(variant)
            if source == "acronym" and counts[name] < 3:  # noqa: PLR2004
                continue  # the acronym of a niche product ("ACA", "SMS") means something else
            if key and key not in unmatched and not vocabulary.common(key):
                aliases.setdefault(variant, source)  # "Microsoft Word" must not make "Word" a skill
        draft = Draft(unique_id("onet", name, taken), name, "technology", aliases, [])
        draft.hot, draft.weight = name in hot, counts[name]
        drafts.append(draft)
    return drafts


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9.+#/-]*[A-Z0-9+#]$")
_SHORT_ACRONYM = re.compile(r"^[A-Z]{1,4}$")


def onet_variants(name: str, vendors: list[str], vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """Other names of an O*NET technology: without "software", its vendor, or its acronym."""
    variants: dict[str, str] = {name: "name"}
    no_parens = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if no_parens and no_parens != name:
        variants.setdefault(no_parens, "derived")
    for variant in list(variants):
        product = without_software(variant)
        if product:
            variants.setdefault(product, "derived")
    for variant in list(variants):
        for alias, source in acronym_variants(variant):
            variants.setdefault(alias, source)
    for variant in list(variants):
        product = without_vendor(variant, vendors, vocabulary)
        if product:
            variants.setdefault(product, "derived")
    return [(v, source) for v, source in variants.items() if v != name]


def without_software(name: str) -> str | None:
    """Drop a trailing "software" from a product name ("SAP software"), not from a category.

    "Microsoft Azure software" -> "Microsoft Azure"; "Word processing software" stays.
    """
    words = name.split()
    if len(words) < 2 or words[-1] != "software":  # noqa: PLR2004
        return None
    rest = words[:-1]
    proper = any(any(c.isupper() for c in w[1:]) for w in rest)
    named = len(rest) == 1 and rest[0][0].isupper() and not rest[0].endswith("ing")
    return " ".join(rest) if proper or named else None  # not "Blogging software"


def acronym_variants(name: str) -> list[tuple[str, str]]:
    """Split a trailing acronym off: "Structured query language SQL" -> "SQL" and the rest."""
    words = name.split()
    last = words[-1] if words else ""
    if len(words) < 3 or not _ACRONYM.match(last) or sum(c.isupper() for c in last) < 2:  # noqa: PLR2004
        return []
    before = words[:-1]
    for start in range(len(before)):
        expansion = " ".join(before[start:])
        if len(before) - start <= len(last) + 2 and is_abbreviation(last, expansion):
            return [(last, "acronym"), (expansion, "derived"), (" ".join(before), "derived")]
    return []


def without_vendor(name: str, vendors: list[str], vocabulary: Vocabulary) -> str | None:
    """Drop the vendor ("Apache Kafka" -> "Kafka") unless everyday words or an acronym remain."""
    for vendor in sorted(vendors, key=len, reverse=True):
        if name.startswith(vendor + " "):
            rest = name[len(vendor) + 1 :].strip()
            words = alias_key(rest).split()
            generic = all(vocabulary.common(w) for w in words) or rest.endswith(" software")
            return rest if rest and not generic and not _SHORT_ACRONYM.match(rest) else None
    return None


# ---------------------------------------------------------------------------------- merging


class Merger:
    """Keeps the drafts and merges them, each merge logged for review."""

    def __init__(self, drafts: list[Draft]) -> None:
        self.drafts = {d.id: d for d in drafts}
        self.redirect: dict[str, str] = {}

    def resolve(self, skill_id: str) -> str:
        """Return the id a skill id now lives under, following merges."""
        while skill_id in self.redirect:
            skill_id = self.redirect[skill_id]
        return skill_id

    def merge(self, ids: list[str], reason: str, name: str | None = None) -> Draft:
        """Merge the skills into one (O*NET first, then the most used) and return it."""
        drafts = [self.drafts[i] for i in dict.fromkeys(self.resolve(i) for i in ids)]
        order = {"onet": 0, "esco": 1, "skill": 2}
        keeper = min(drafts, key=lambda d: (order[d.id.split(":")[0]], -d.weight, d.id))
        for other in drafts:
            if other is keeper:
                continue
            for alias, source in other.aliases.items():
                keeper.aliases.setdefault(alias, source)
            keeper.esco.extend(label for label in other.esco if label not in keeper.esco)
            keeper.hot = keeper.hot or other.hot
            keeper.weight = max(keeper.weight, other.weight)
            keeper.curated = keeper.curated or other.curated
            del self.drafts[other.id]
            self.redirect[other.id] = keeper.id
        if name is not None:
            keeper.name = name
        if len(drafts) > 1:
            log(f"merge ({reason}): {' + '.join(repr(d.name) for d in drafts)} -> {keeper.id}")
        return keeper


def merge_onet_duplicates(merger: Merger) -> None:
    """One product, several O*NET names ("Oracle Java", "Sun Microsystems Java")."""
    owners: dict[str, list[str]] = collections.defaultdict(list)
    for draft in merger.drafts.values():
        if draft.id.startswith("onet:"):
            for alias, source in draft.aliases.items():
                if source in {"name", "derived"}:
                    owners[alias].append(draft.id)  # the same surface, case and all
    for ids in owners.values():
        if len(ids) > 1:
            merger.merge(sorted(ids), "same O*NET product")


def merge_esco_into_onet(merger: Merger) -> None:
    """An ESCO skill that is an O*NET technology ("Python (computer programming)" ~ "Python")."""
    surfaces: dict[str, set[str]] = collections.defaultdict(set)
    for draft in merger.drafts.values():
        if draft.id.startswith("onet:"):
            for alias, source in draft.aliases.items():
                if source != "acronym":
                    surfaces[alias].add(draft.id)
    for draft in sorted(merger.drafts.values(), key=lambda d: d.id):
        if not draft.id.startswith("esco:") or draft.id not in merger.drafts:
            continue
        candidates = {
            merger.resolve(onet)
            for alias, source in draft.aliases.items()
            if source in {"name", "derived"}
            for onet in surfaces.get(alias, ())
        }
        if len(candidates) == 1:
            merger.merge([candidates.pop(), draft.id], "ESCO = O*NET")


@attrs.frozen
class CuratedRow:
    """One line of synonyms.tsv."""

    canonical: str
    aliases: tuple[str, ...]
    marks: dict[str, str]  # key -> "" | "~" | "~~" | "-"
    esco: tuple[str, ...]


def read_synonyms() -> list[CuratedRow]:
    """Parse synonyms.tsv (its format is described in its header)."""
    rows: list[CuratedRow] = []
    for number, line in enumerate((CURATED / "synonyms.tsv").read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [*line.split("\t"), "", ""][:3]
        canonical = cells[0].strip()
        aliases: list[str] = []
        marks: dict[str, str] = {}
        for raw in (a.strip() for a in cells[1].split(" | ")):
            if not raw:
                continue
            mark = re.match(r"^(~~|~|-)?", raw).group()  # type: ignore[union-attr]
            alias = raw[len(mark) :].strip()
            if not alias_key(alias):
                sys.exit(f"synonyms.tsv:{number}: alias {raw!r} has no letters or digits")
            aliases.append(alias)
            marks[alias_key(alias)] = mark
        esco = tuple(label.strip() for label in cells[2].split(" | ") if label.strip())
        rows.append(CuratedRow(canonical, tuple(aliases), marks, esco))
    return rows


def apply_curated(
    merger: Merger, rows: list[CuratedRow], esco_labels: set[str], taken: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Apply the curated synonyms; return the keys they own (key -> skill id) and their marks.

    A row's canonical name resolves to the skills that have it as name or as a name derived from
    O*NET (not ESCO's noisy alternate labels); its aliases pull in the O*NET or curated skills
    they name. All of those become one skill shown under the canonical name.
    """
    by_name, by_alias = name_indexes(merger)
    owned: dict[str, str] = {}
    marks: dict[str, str] = {}
    unknown = [(row.canonical, x) for row in rows for x in row.esco if x not in esco_labels]
    if unknown:
        sys.exit(f"synonyms.tsv links unknown ESCO labels: {unknown}")
    for row in rows:
        key = alias_key(row.canonical)
        ids = by_name[key] | by_alias[key] | by_alias[row.canonical]
        for alias in row.aliases:
            if row.marks[alias_key(alias)] != "-":
                ids |= {i for i in by_name[alias_key(alias)] if not i.startswith("esco:")}
        live = sorted({merger.resolve(i) for i in ids})
        if live:
            draft = merger.merge(live, f"curated {row.canonical!r}", row.canonical)
        else:
            # ESCO-style skills are lower-case phrases; technologies are proper names
            kind = "esco" if row.canonical[0].islower() else "technology"
            draft = Draft(unique_id("skill", row.canonical, taken), row.canonical, kind, {}, [])
            merger.drafts[draft.id] = draft
        by_name[key].add(draft.id)
        draft.curated = True
        draft.esco.extend(label for label in row.esco if label not in draft.esco)
        for alias_id, mark in curate_aliases(draft, row).items():
            owned[alias_id] = draft.id
            marks[alias_id] = mark
    return owned, marks


def name_indexes(merger: Merger) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Index skills by the key of their name, and by their O*NET-derived names and acronyms."""
    by_name: dict[str, set[str]] = collections.defaultdict(set)
    by_alias: dict[str, set[str]] = collections.defaultdict(set)
    for draft in merger.drafts.values():
        by_name[alias_key(draft.name)].add(draft.id)
        for alias, source in draft.aliases.items():
            if source == "derived":
                by_alias[alias_key(alias)].add(draft.id)
            elif source == "acronym":  # "SQL" names SQL; "EPIC" does not name Epic
                by_alias[alias].add(draft.id)
    return by_name, by_alias


def curate_aliases(draft: Draft, row: CuratedRow) -> dict[str, str]:
    """Give ``draft`` the row's aliases (and name) and drop its "-" ones; return key -> mark."""
    key = alias_key(row.canonical)
    wanted = [(alias, row.marks[alias_key(alias)]) for alias in row.aliases]
    if key not in row.marks:
        wanted.insert(0, (row.canonical, ""))
    elif row.marks[key] != "-" and row.canonical not in row.aliases:
        wanted.insert(0, (row.canonical, row.marks[key]))
    added: dict[str, str] = {}
    for alias, mark in wanted:
        alias_id = alias_key(alias)
        if mark == "-":
            for surface in [a for a in draft.aliases if alias_key(a) == alias_id]:
                del draft.aliases[surface]
        else:
            draft.aliases[alias] = "curated"
            added[alias_id] = mark
    return added


def settle_aliases(
    merger: Merger, owned: dict[str, str], unmatched: set[str], titles: set[str]
) -> None:
    """Give every alias key to exactly one skill and drop the unusable ones.

    Dropped unless curated: stop words, numbers, aliases starting with an article ("a
    computer"), the unmatched list, and O*NET product names that are also job titles
    ("Restaurant Manager" is a point-of-sale product and, far more often, a job).
    """
    claims: dict[str, list[str]] = collections.defaultdict(list)
    for draft in merger.drafts.values():
        for alias, source in list(draft.aliases.items()):
            key = alias_key(alias)
            if source != "curated" and unusable(key, draft, unmatched, titles):
                del draft.aliases[alias]
            elif draft.id not in claims[key]:
                claims[key].append(draft.id)
    for key, ids in sorted(claims.items()):
        if len(ids) > 1:
            winner = claim_winner(merger, key, ids, owned)
            for loser in ids:  # an alias two skills claim and none is named by goes to nobody
                if loser != winner:
                    draft = merger.drafts[loser]
                    for alias in [a for a in draft.aliases if alias_key(a) == key]:
                        del draft.aliases[alias]


def claim_winner(merger: Merger, key: str, ids: list[str], owned: dict[str, str]) -> str:
    """The skill that keeps an alias several claim: curated, else named so, else none ("")."""
    if key in owned:
        return merger.resolve(owned[key])
    named = [i for i in ids if alias_key(merger.drafts[i].name) == key]
    return min(named, key=lambda i: claim_rank(merger.drafts[i], key)) if named else ""


def unusable(key: str, draft: Draft, unmatched: set[str], titles: set[str]) -> bool:
    """Tell whether an alias key from the sources is unfit to match on its own."""
    return (
        len(key) < 2  # noqa: PLR2004
        or key in ENGLISH_STOPWORDS
        or key in unmatched
        or key.replace(" ", "").isdigit()
        or key in ROMAN_NUMERALS
        or key.split(maxsplit=1)[0] in {"a", "an", "the"}
        or (draft.id.startswith("onet:") and key in titles)
    )


def claim_rank(draft: Draft, key: str) -> tuple[int, int, int, str]:
    """Order skills claiming one alias: the one named so, then O*NET, then the most used."""
    return (
        alias_key(draft.name) != key,
        not draft.id.startswith("onet:"),
        -draft.weight,
        draft.id,
    )


# ------------------------------------------------------------------------------------ output


def write_gzip(path: Path, text: str) -> None:
    """Write ``text`` gzipped, with no timestamp, so the same text gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def clean(cell: str) -> str:
    """Make a value safe for a TSV cell of " | "-separated lists."""
    return " ".join(cell.replace("|", "/").split())


def write_skills(merger: Merger, guarded: set[str], strict: set[str]) -> None:
    """Write skills.tsv.gz, aliases marked ~ (guarded) and ~~ (strict), rows sorted by id."""
    lines = ["id\tkind\tname\thot\tesco_labels\taliases"]
    for draft in sorted(merger.drafts.values(), key=lambda d: d.id):
        aliases = []
        for alias in sorted(draft.aliases, key=lambda a: (alias_key(a), a)):
            key = alias_key(alias)
            mark = "~~" if key in strict else "~" if key in guarded else ""
            aliases.append(mark + clean(alias))
        lines.append(
            "\t".join(
                [
                    draft.id,
                    draft.kind,
                    clean(draft.name),
                    "1" if draft.hot else "0",
                    " | ".join(clean(label) for label in draft.esco),
                    " | ".join(aliases),
                ]
            )
        )
    write_gzip(OUT / "skills.tsv.gz", "\n".join(lines) + "\n")


def write_titles(data: Path, occupation_data: Path | None) -> None:
    """Write occupations.tsv (when given the O*NET occupation data) and the alternate titles."""
    if occupation_data is not None:
        with occupation_data.open(encoding="utf-8") as handle:
            rows = sorted(
                (r["O*NET-SOC Code"], clean(r["Title"]))
                for r in csv.DictReader(handle, delimiter="\t")
            )
        text = "code\ttitle\n" + "".join(f"{code}\t{title}\n" for code, title in rows)
        (OUT / "occupations.tsv").write_text(text, encoding="utf-8")
    elif not (OUT / "occupations.tsv").exists():
        sys.exit("no occupations.tsv yet: pass --occupation-data (O*NET 'Occupation Data.txt')")
    seen: set[tuple[str, str]] = set()
    with (data / ONET_TITLES).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            code = row["O*NET-SOC Code"]
            for title in (row["Alternate Title"], row["Short Title"]):
                if title and title != "n/a":
                    seen.add((code, clean(title)))
    text = "code\ttitle\n" + "".join(f"{code}\t{title}\n" for code, title in sorted(seen))
    write_gzip(OUT / "alternate_titles.tsv.gz", text)


# -------------------------------------------------------------------------------------- main


def build(data: Path, occupation_data: Path | None) -> None:
    """Read the sources, merge them into canonical skills, write the data files."""
    unmatched = {alias_key(a) for a in read_curated_list("unmatched.txt")}
    vendors = read_curated_list("vendors.txt")
    taken: set[str] = set()
    with (data / ESCO_DIGITAL).open(encoding="utf-8") as handle:
        digital_labels = {row["preferredLabel"].strip() for row in csv.DictReader(handle)}
    v11 = (data / ESCO_LABELS).read_text(encoding="utf-8").splitlines()
    vocabulary = Vocabulary(data, [label for label in v11 if label not in digital_labels])

    esco, guarded = esco_drafts(data, vocabulary, unmatched, taken)
    onet = onet_drafts(data, vocabulary, vendors, unmatched, taken)
    merger = Merger(esco + onet)
    merge_onet_duplicates(merger)
    merge_esco_into_onet(merger)
    esco_labels = {label for d in esco for label in d.esco}
    owned, marks = apply_curated(merger, read_synonyms(), esco_labels, taken)
    with (data / ONET_TITLES).open(encoding="utf-8") as handle:
        titles = {
            alias_key(row["Alternate Title"]) for row in csv.DictReader(handle, delimiter="\t")
        }
    settle_aliases(merger, owned, unmatched, titles)
    strict = guards(merger, vocabulary, guarded, owned, marks)
    write_skills(merger, guarded, strict - {""})
    write_titles(data, occupation_data)
    report()


def guards(
    merger: Merger,
    vocabulary: Vocabulary,
    guarded: set[str],
    owned: dict[str, str],
    marks: dict[str, str],
) -> set[str]:
    """Complete ``guarded`` and return the strict keys.

    Sources: the curated marks, guarded.txt, and the everyday words and acronyms among the
    other aliases.
    """
    strict: set[str] = set()
    for entry in read_curated_list("guarded.txt"):
        (strict if entry.startswith("~~") else guarded).add(alias_key(entry.lstrip("~")))
    for key, mark in marks.items():
        guarded.discard(key)
        strict.discard(key)
        {"~": guarded, "~~": strict}.get(mark, set()).add(key)
    for draft in merger.drafts.values():
        for alias, source in draft.aliases.items():
            key = alias_key(alias)
            if source == "curated" or key in owned or key in strict:
                continue  # curated aliases are guarded only where the curated files say so
            if draft.kind == "technology" and vocabulary.common(key):
                guarded.add(key)  # an everyday word: "Spring", "Swift"
            elif " " not in key and alias.isupper() and sum(c.isalpha() for c in alias) >= 2:  # noqa: PLR2004
                guarded.add(key)  # an acronym: "SAN" is not "San Diego", "ASPEN" not "Aspen"
    return strict


def report() -> None:
    """Load what was written through the product's own loader and print a summary."""
    loader.load_taxonomy.cache_clear()
    loader.load_title_normaliser.cache_clear()
    taxonomy = loader.load_taxonomy()
    kinds = collections.Counter(skill.kind.value for skill in taxonomy)
    aliases = sum(len(skill.aliases) for skill in taxonomy)
    log(f"skills: {len(taxonomy)} {dict(kinds)}, aliases: {aliases}")
    log(f"guarded keys: {len(taxonomy.guarded)}, strict keys: {len(taxonomy.strict)}")
    for path in sorted(OUT.glob("*.*")):
        log(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")
    extractor = skills.SkillExtractor(taxonomy)
    sample = "Senior engineer: Python, k8s, Postgres and React; AWS is a plus. Go-to-market in C."
    log(f"sample: {[(m.text, m.skill.name, m.required) for m in extractor.extract(sample)]}")
    normaliser = loader.load_title_normaliser()
    log(f"title: {normaliser.normalise('Senior Software Engineer (m/w/d)')}")


def main() -> None:
    """Parse the command line and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--occupation-data", type=Path, default=None)
    args = parser.parse_args()
    build(args.data.resolve(), args.occupation_data)


if __name__ == "__main__":
    main()
