"""Matching quality on RJDB (``rjdb_dev300.jsonl``), embedders side by side, exact vs HNSW.

Run ``python -m benchmarks.matching_quality [--data-dir ../shared/data] [--skip-neural]
[--skip-ann]``. It writes ``docs/matching-quality.md``. Everything is measured in this run:

- **pairwise accuracy**: for each of the 300 jobs, the full Jobraker score (résumé parsed into a
  candidate profile, job analysed, ``scoring.Scorer``) of the job's matched résumé must be
  *strictly* above the score of its unmatched résumé (a tie counts as a miss). The TF-IDF
  baseline (cosine of scikit-learn ``TfidfVectorizer`` vectors fitted on all 900 texts) is
  computed in the same run;
- **Hit@1 / MRR**: for each matched résumé, all 300 jobs are scored and ranked (``scoring.rank``);
  the rank of its own job;
- **missing-skills explanation**: for each unmatched résumé, the skills its explanation lists as
  missing, against ``Filtered-information.Skills`` (the skills removed to make it). A gold skill
  is found when a predicted item (its name, the job's words for it and, when it is a line of at
  most 200 characters, the requirement line around them) shares enough of its content words
  (``phrases.needed_terms``); precision is given over every missing item, and over the items
  missing for the unmatched résumé but not for the matched one (what the explanation adds);
- **embedders**: the similarity part computed with each embedder available (the local hashing
  default, a smaller hashing, MiniLM when the ``neural`` extra is installed, and none);
- **exact vs approximate**: the RJDB jobs are stored in PostgreSQL among ``--background``
  varied synthetic postings (``benchmarks.synthetic_jobs``, 100,000 by default) and embedded with
  the default embedder; each matched résumé is matched as the product does it (``MatchEngine``:
  hybrid retrieval of a candidate pool by ``PostgresJobRetriever``, then the score), once with an
  exact vector scan and once through the HNSW index, for a strict pool (``POOL``) and the
  product's (``RETRIEVAL_POOL``); Hit@1 / MRR of each (a job outside the pool has no rank).
  Needs the embedded PostgreSQL (started in a temporary directory).

The data is evaluation data only: it is not shipped, and the test suite never needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from benchmarks.report import percentile
from benchmarks.vectors import build_indexes, drop_indexes
from jobraker_adapters.embedders.hashing import HashingEmbedder
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever
from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.accounts.profile import JobPreferences
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery
from jobraker_core.matching import analysis, scoring
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.analysis_store import StoredAnalysis
from jobraker_core.matching.candidate import CandidateProfile
from jobraker_core.matching.embedding import Embedder, cosine
from jobraker_core.matching.explain import Match, SkillMatch
from jobraker_core.matching.phrases import needed_terms, terms
from jobraker_core.matching.resume import ResumeParser
from jobraker_core.matching.retrieval import TextScope, candidate_depth, job_embedding_text
from jobraker_core.matching.scoring import Scorer, Seeker, rank
from jobraker_core.matching.use_cases import RETRIEVAL_POOL, MatchEngine

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "docs" / "matching-quality.md"
DATA_FILE = "rjdb_dev300.jsonl"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
POOL = 20
TARGETS = {"pairwise": 0.98, "recall": 0.9, "ann_ratio": 0.98}


@attrs.frozen
class Row:
    """One RJDB row: a job, its matched and unmatched résumés, and the removed skills."""

    number: int
    job: JobPosting
    matched: str
    unmatched: str
    removed: tuple[str, ...]


def _title(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        found = re.match(r"^[#\s*]*(?:job\s*)?title\s*:?\s*(.*)$", line.strip(), re.IGNORECASE)
        if found:
            if found.group(1).strip(" *#"):
                return found.group(1).strip(" *#")
            for later in lines[index + 1 :]:
                if later.strip():
                    return later.strip(" *#")
    return "Job"


def load(data_dir: Path) -> list[Row]:
    """Read the RJDB rows as postings and résumé texts."""
    rows = []
    with (data_dir / DATA_FILE).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            record = json.loads(line)
            text = record["Job-Description"]
            draft = JobDraft(
                source="rjdb",
                source_id=str(number),
                title=_title(text),
                description=text,
                posted_at=NOW,
            )
            job = JobPosting.from_draft(draft, job_id=uuid.UUID(int=number + 1), seen_at=NOW)
            removed = tuple(record["Filtered-information"].get("Skills") or ())
            rows.append(
                Row(number, job, record["Resume-matched"], record["Resume-unmatched"], removed)
            )
    return rows


@attrs.frozen
class Quality:
    """The numbers of one configuration."""

    name: str
    pairwise: float
    hit1: float
    mrr: float
    misses: tuple[int, ...] = ()


def _rank_of(matches: Sequence[Match], job_id: uuid.UUID) -> int | None:
    for position, match in enumerate(rank(matches), start=1):
        if match.job.id == job_id:
            return position
    return None


class Study:
    """Everything parsed once: analyses, profiles; scores with any similarity function."""

    def __init__(self, rows: list[Row]) -> None:
        extractor, titles = load_skill_extractor(), load_title_normaliser()
        self.titles = titles
        self.rows = rows
        self.analyser = JobAnalyser(extractor, titles)
        parser = ResumeParser(extractor, titles)
        started = time.perf_counter()
        self.analyses = [self.analyser.analyse(r.job) for r in rows]
        self.matched = [
            parser.parse(r.matched, user_id=uuid.uuid4(), resume_id=None, now=NOW) for r in rows
        ]
        self.unmatched = [
            parser.parse(r.unmatched, user_id=uuid.uuid4(), resume_id=None, now=NOW) for r in rows
        ]
        self.parse_seconds = time.perf_counter() - started

    def scorer(self, profile: CandidateProfile) -> Scorer:
        """A scorer for a profile with no preferences."""
        return Scorer(Seeker(profile, JobPreferences()), self.titles, NOW)

    def quality(self, name: str, embedder: Embedder | None) -> Quality:
        """Pairwise, Hit@1 and MRR with ``embedder`` giving the similarity part (None: none)."""
        rows = self.rows
        if embedder is not None:
            jobs = embedder.embed(
                [job_embedding_text(r.job.title, r.job.company, r.job.description) for r in rows]
            )
            mine = embedder.embed([p.text() for p in self.matched])
            theirs = embedder.embed([p.text() for p in self.unmatched])

            def sim(vectors: list[tuple[float, ...]], i: int, k: int) -> float | None:
                return cosine(vectors[i], jobs[k])
        else:
            mine = theirs = []

            def sim(vectors: list[tuple[float, ...]], i: int, k: int) -> float | None:
                del vectors, i, k
                return None

        misses = []
        for i, row in enumerate(rows):
            good = self.scorer(self.matched[i]).score(row.job, self.analyses[i], sim(mine, i, i))
            bad = self.scorer(self.unmatched[i]).score(row.job, self.analyses[i], sim(theirs, i, i))
            if good.score <= bad.score:
                misses.append(row.number)
        hits = 0
        reciprocal = 0.0
        for i, row in enumerate(rows):
            scorer = self.scorer(self.matched[i])
            matches = [
                scorer.score(other.job, self.analyses[k], sim(mine, i, k))
                for k, other in enumerate(rows)
            ]
            position = _rank_of(matches, row.job.id) or len(rows)
            hits += position == 1
            reciprocal += 1 / position
        count = len(rows)
        return Quality(
            name, 1 - len(misses) / count, hits / count, reciprocal / count, tuple(misses)
        )

    def missing_skills(self) -> dict[str, float]:
        """Precision and recall of the unmatched résumés' missing skills against the gold."""
        gold_total = gold_found = 0
        predicted = predicted_right = 0
        added = added_right = 0
        still_shown = unnamed = 0
        for i, row in enumerate(self.rows):  # similarity plays no part in which skills miss
            bad = self.scorer(self.unmatched[i]).score(row.job, self.analyses[i], None)
            good = self.scorer(self.matched[i]).score(row.job, self.analyses[i], None)
            kept = {s.name for s in good.missing_skills}
            items = [(s.name, _item_terms(s)) for s in bad.missing_skills]
            golds = [terms(g) for g in row.removed if terms(g)]

            def hit(gold: frozenset[str], item: frozenset[str]) -> bool:
                return len(gold & item) >= needed_terms(len(gold))

            gold_total += len(golds)
            gold_found += sum(1 for g in golds if any(hit(g, t) for _, t in items))
            asked = [_item_terms(s) for s in bad.skills]
            for gold in golds:
                if any(hit(gold, t) for _, t in items):
                    continue
                if any(hit(gold, t) for t in asked):
                    still_shown += 1  # the job asks for it and the unmatched résumé shows it
                else:
                    unnamed += 1  # no requirement the analysis read names it
            predicted += len(items)
            predicted_right += sum(1 for _, t in items if any(hit(g, t) for g in golds))
            new = [(n, t) for n, t in items if n not in kept]
            added += len(new)
            added_right += sum(1 for _, t in new if any(hit(g, t) for g in golds))
        return {
            "recall": gold_found / gold_total,
            "precision": predicted_right / predicted if predicted else 0.0,
            "precision_added": added_right / added if added else 0.0,
            "gold": gold_total,
            "still_shown": still_shown,
            "unnamed": unnamed,
            "predicted": predicted,
            "added": added,
        }


CONTEXT_LIMIT = 200
"""The requirement line around a missing item counts when it is at most this long."""


def _item_terms(skill: SkillMatch) -> frozenset[str]:
    """The words a reader of the explanation sees for a missing skill.

    Its name, the job's words for it, and the requirement line they sit in (when it is a line,
    not a paragraph).
    """
    evidence = skill.job_evidence
    found = terms(skill.name) | terms(evidence.text)
    if evidence.context and len(evidence.context) <= CONTEXT_LIMIT:
        found |= terms(evidence.context)
    return found


def tfidf_baseline(rows: list[Row]) -> Quality | None:
    """Plain TF-IDF cosine (scikit-learn defaults, fitted on all the texts), if installed."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415 - optional
    except ImportError:
        return None
    texts = (
        [r.job.description for r in rows] + [r.matched for r in rows] + [r.unmatched for r in rows]
    )
    matrix = TfidfVectorizer().fit_transform(texts)
    count = len(rows)
    jobs, good, bad = matrix[:count], matrix[count : 2 * count], matrix[2 * count :]
    right = sum(
        1
        for i in range(count)
        if (jobs[i] @ good[i].T).toarray()[0, 0] > (jobs[i] @ bad[i].T).toarray()[0, 0]
    )
    similarity = (good @ jobs.T).toarray()
    hits = 0
    reciprocal = 0.0
    for i in range(count):
        order = sorted(range(count), key=lambda k: (-similarity[i, k], k))
        position = order.index(i) + 1
        hits += position == 1
        reciprocal += 1 / position
    return Quality("TF-IDF cosine (baseline)", right / count, hits / count, reciprocal / count)


def embedders(skip_neural: bool) -> list[tuple[str, Embedder | None]]:
    """The embedders to compare: what is installed."""
    found: list[tuple[str, Embedder | None]] = [
        ("hashing 768 (default)", HashingEmbedder()),
        ("hashing 384", HashingEmbedder(384)),
        ("no similarity part", None),
    ]
    if not skip_neural:
        try:
            from jobraker_adapters.embedders.minilm import MiniLMEmbedder  # noqa: PLC0415

            neural = MiniLMEmbedder(threads=2)
            neural.embed(["warm up"])
            found.insert(2, ("MiniLM-L6-v2 (neural extra)", neural))
        except Exception as error:  # noqa: BLE001 - an optional extra: report, go on
            print(f"MiniLM not available: {type(error).__name__}: {error}")
    return found


class _Pinned:
    """A retriever whose ``exact`` flag is fixed, and whose skill list can be left out."""

    def __init__(self, inner: Any, *, exact: bool, skills: bool = True) -> None:
        self._inner = inner
        self._exact = exact
        self._skills = skills

    def retrieve(self, **request: Any) -> Any:
        request["exact"] = self._exact
        if not self._skills:
            request["skills"] = ()
        return self._inner.retrieve(**request)


CONFIGURATIONS = (
    ("exact scan", True, True),
    ("HNSW index", False, True),
    ("exact scan, no skill list", True, False),
    ("HNSW index, no skill list", False, False),
)
"""The exact-vs-HNSW study's retrievals: (name, exact vector scan, skill candidate list)."""

_WORKER_ANALYSER: JobAnalyser | None = None


def _start_analyser() -> None:
    global _WORKER_ANALYSER  # noqa: PLW0603 - one analyser per worker process
    _WORKER_ANALYSER = JobAnalyser(load_skill_extractor(), load_title_normaliser())


def _analyse(job: JobPosting) -> StoredAnalysis:
    if _WORKER_ANALYSER is None:  # pragma: no cover - the pool's initializer sets it
        raise RuntimeError("the worker's analyser was not started")
    return StoredAnalysis(job, _WORKER_ANALYSER.analyse(job))


def _store_analyses(container: Any, analyser: JobAnalyser, jobs: Sequence[JobPosting]) -> None:
    """Store every job's analysis as the market step would (two processes), then ANALYZE."""
    store = container.job_analyses()
    with multiprocessing.Pool(2, initializer=_start_analyser) as workers:
        batch: list[StoredAnalysis] = []
        for item in workers.imap(_analyse, jobs, chunksize=100):
            batch.append(item)
            if len(batch) == 1000:
                store.save(analyser.version, batch)
                batch = []
        store.save(analyser.version, batch)
    with container.db_pool().connection() as conn:
        conn.execute("ANALYZE job_analyses")


POOLS = (POOL, RETRIEVAL_POOL)
"""The candidate pools of the exact-vs-HNSW study: a strict one, and the product's own."""


def background_postings(count: int, data_dir: Path) -> list[JobPosting]:
    """Varied synthetic postings (``benchmarks.synthetic_jobs``) to hide RJDB among.

    ``count`` are made; those whose canonical key (company, title) repeats an earlier one are
    left out, as ingestion would merge them.
    """
    from benchmarks.synthetic_jobs import varied_texts  # noqa: PLC0415 - only with --background

    postings: dict[str, JobPosting] = {}  # by canonical key: ingestion would merge the rest
    for n, text in enumerate(varied_texts(count, 11, data_dir)):
        title, company, description = text.split("\n", 2)
        draft = JobDraft(
            source="synthetic",
            source_id=str(n),
            title=title,
            company=company,
            description=description,
            posted_at=NOW,
        )
        posting = JobPosting.from_draft(draft, job_id=uuid.UUID(int=10**6 + n), seen_at=NOW)
        postings.setdefault(posting.key, posting)
    return list(postings.values())


def _load_jobs(container: Any, jobs: Sequence[JobPosting]) -> None:
    """Store the jobs, embed them with the indexes dropped, then build them (a bulk load)."""
    from jobraker_adapters.postgres.embeddings import VectorColumn  # noqa: PLC0415

    for start in range(0, len(jobs), 1000):
        with container.uow()() as uow:
            uow.jobs.save(list(jobs[start : start + 1000]))
            uow.commit()
    spec = container.embedding_spec()
    container.job_embeddings().register_model(spec)
    column = VectorColumn(spec)
    with container.db_pool().connection() as conn:
        drop_indexes(conn, column)
    container.embed_jobs()()
    with container.db_pool().connection() as conn:
        conn.execute("SET statement_timeout = 0")  # a build takes minutes
        conn.execute("SET maintenance_work_mem = '1GB'")
        build_indexes(conn, column)
        conn.execute("ANALYZE job_embeddings")
        conn.execute("ANALYZE jobs")


class _SharedText(PostgresJobRetriever):
    """A ``PostgresJobRetriever`` whose full-text candidates are computed once per query text.

    They do not depend on the vector path, so the exact and the HNSW configurations (and both
    pools: the deeper list is cut, ranked the same way) share them through ``known``, and the
    study's time goes to what it compares.
    """

    def __init__(
        self,
        pool: Any,
        spec: Any,
        known: dict[tuple[str, ...], list[uuid.UUID]],
        seconds: list[float],
        skill_seconds: list[float],
    ) -> None:
        """Search like the shipped retriever, sharing full-text and skill lists through ``known``.

        The wall-clock time of each full-text query run is appended to ``seconds``, of each
        skill query to ``skill_seconds``.
        """
        super().__init__(pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False)
        self._known = known
        self._seconds = seconds
        self._skill_seconds = skill_seconds

    def _shared(
        self,
        key: tuple[str, ...],
        depth: int,
        seconds: list[float],
        find: Callable[[int], list[uuid.UUID]],
    ) -> list[uuid.UUID]:
        """The list under ``key``, found (to the deepest pool, timed into ``seconds``) once."""
        if key not in self._known:
            started = time.perf_counter()
            self._known[key] = find(candidate_depth(RETRIEVAL_POOL))
            seconds.append(time.perf_counter() - started)
        return self._known[key][:depth]

    def _text_candidates(
        self, conn: Any, terms: Sequence[str], filters: JobQuery, depth: int, scope: TextScope
    ) -> list[uuid.UUID]:
        return self._shared(
            (scope.value, *terms),
            depth,
            self._seconds,
            lambda deepest: super(_SharedText, self)._text_candidates(
                conn, terms, filters, deepest, scope
            ),
        )

    def _skill_candidates(
        self, conn: Any, skills: Collection[str], filters: JobQuery, depth: int
    ) -> list[uuid.UUID]:
        return self._shared(
            ("skills", *sorted(skills)),
            depth,
            self._skill_seconds,
            lambda deepest: super(_SharedText, self)._skill_candidates(
                conn, skills, filters, deepest
            ),
        )


@attrs.frozen
class AnnStudy:
    """What ``ann_study`` measured."""

    qualities: dict[str, Quality]
    """Hit@1 / MRR by configuration (``exact scan, pool N`` and ``HNSW index, pool N``)."""
    background: int
    """How many synthetic postings the RJDB jobs were hidden among."""
    embedder: str
    """The model whose vectors were searched."""
    text_seconds: tuple[float, ...]
    """The wall-clock time of each profile's full-text candidate query."""
    skill_seconds: tuple[float, ...]
    """The wall-clock time of each profile's skill candidate query."""
    analyse_seconds: float
    """How long storing every posting's analysis took (two processes)."""
    stored_mb: float
    """The stored vectors' size, as the shipped retriever's full-scan rule counts it."""
    shipped_scans: bool
    """Whether the shipped retriever scans exactly at this size (``full_scan_mb``)."""


def ann_study(
    study: Study, background: Sequence[JobPosting] = (), embedder: Embedder | None = None
) -> AnnStudy:
    """Hit@1 / MRR with retrieved pools (``POOLS``), exact scan vs HNSW, on PostgreSQL.

    The RJDB jobs are stored with the ``background`` postings around them; each matched résumé
    is matched as the product does it (``MatchEngine``: hybrid retrieval of a pool, then the
    score), once with the vector candidates from an exact scan and once from the HNSW index
    alone (the shipped retriever's full-scan rule off). ``embedder`` replaces the local default
    (hashing 768) for every vector of the study.
    """
    from dependency_injector import providers  # noqa: PLC0415

    from jobraker_adapters.container import Settings, build_container  # noqa: PLC0415

    analysis.MEMO_SIZE = 10**6  # type: ignore[misc] # every pool job analysed once per run
    data_dir = Path(tempfile.mkdtemp(prefix="jobraker-matching-quality-"))
    container = build_container(Settings(data_dir=data_dir))
    if embedder is not None:
        container.embedder.override(providers.Object(embedder))
    retrievers = contextlib.ExitStack()  # each configuration's walk connections, closed after
    try:
        container.migrate()
        started = time.perf_counter()
        every = [*(r.job for r in study.rows), *background]
        _load_jobs(container, every)
        seconds = time.perf_counter() - started
        print(f"loaded {len(every)} jobs in {seconds:.0f} s")
        started = time.perf_counter()
        _store_analyses(container, study.analyser, every)
        analyse_seconds = time.perf_counter() - started
        print(f"stored {len(every)} analyses in {analyse_seconds:.0f} s")
        embedder = container.embedder()
        spec = container.embedding_spec()
        pool = container.db_pool()
        with PostgresJobRetriever(pool, spec) as shipped, pool.connection() as conn:
            shipped_scans = shipped.scans_everything(conn)
            stored_mb = shipped.stored_rows(conn) * spec.dimensions * 4 / 1_000_000
        results: dict[str, Quality] = {}
        known: dict[tuple[str, ...], list[uuid.UUID]] = {}
        text_seconds: list[float] = []
        skill_seconds: list[float] = []
        for size in POOLS:
            for label, exact, with_skills in CONFIGURATIONS:
                inner = retrievers.enter_context(
                    _SharedText(pool, spec, known, text_seconds, skill_seconds)
                )
                engine = MatchEngine(
                    _Pinned(inner, exact=exact, skills=with_skills),
                    embedder,  # type: ignore[arg-type]
                    container.job_embeddings(),
                    study.analyser,
                    container.clock(),
                    analyses=container.job_analyses(),
                )
                hits = 0
                reciprocal = 0.0
                with container.uow()() as uow:
                    for i, row in enumerate(study.rows):
                        seeker = Seeker(study.matched[i], JobPreferences())
                        matches = engine.matches(uow, seeker, JobQuery(), pool=size)
                        position = _rank_of(matches, row.job.id)
                        if position is not None:
                            hits += position == 1
                            reciprocal += 1 / position
                count = len(study.rows)
                name = f"{label}, pool {size}"
                results[name] = Quality(name, float("nan"), hits / count, reciprocal / count)
                print(f"{name}: Hit@1 {hits / count:.3f} MRR {reciprocal / count:.3f}")
        return AnnStudy(
            results,
            len(background),
            embedder.model_id,
            tuple(text_seconds),
            tuple(skill_seconds),
            analyse_seconds,
            stored_mb,
            shipped_scans,
        )
    finally:
        retrievers.close()
        container.shutdown_resources()
        shutil.rmtree(data_dir, ignore_errors=True)


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores (shared; 1-min load average at start {load:.1f}); "
        f"Python {platform.python_version()}; {platform.platform()}"
    )


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _weights() -> str:
    return ", ".join(
        f"{name} {weight:g}"
        for name, weight in (
            ("skills", scoring.SKILLS_WEIGHT),
            ("title", scoring.TITLE_WEIGHT),
            ("experience", scoring.EXPERIENCE_WEIGHT),
            ("similarity", scoring.SIMILARITY_WEIGHT),
            ("location", scoring.LOCATION_WEIGHT),
            ("salary", scoring.SALARY_WEIGHT),
            ("freshness", scoring.FRESHNESS_WEIGHT),
        )
    )


def _table(rows: Sequence[Quality], with_pairwise: bool = True) -> list[str]:
    head = (
        "| configuration | pairwise | Hit@1 | MRR |"
        if with_pairwise
        else "| configuration | Hit@1 | MRR |"
    )
    lines = [head, "|---|---|---|---|" if with_pairwise else "|---|---|---|"]
    for q in rows:
        if with_pairwise:
            lines.append(f"| {q.name} | {q.pairwise:.3f} | {q.hit1:.3f} | {q.mrr:.3f} |")
        else:
            lines.append(f"| {q.name} | {q.hit1:.3f} | {q.mrr:.3f} |")
    return lines


def _ann_section(study: AnnStudy) -> list[str]:
    """The exact-vs-HNSW section: each pool's qualities and the MRR ratio against the target."""
    ann = study.qualities
    corpus = (
        f"the 300 RJDB jobs hidden among {study.background:,} varied synthetic postings "
        "(`benchmarks/synthetic_jobs.py`)"
        if study.background
        else "the 300 RJDB jobs alone"
    )
    lines = [
        f"## Exact scan vs HNSW (the product's matching, {study.embedder}, PostgreSQL)",
        "",
        (
            f"Corpus: {corpus}. Each matched résumé is matched as the product does it "
            "(`MatchEngine`: hybrid retrieval of a candidate pool — title words, vectors and "
            "the skills of stored analyses fused — then the score), once with the vector "
            "candidates from an exact scan and once from the HNSW index alone at the shipped "
            "settings (the retriever's full-scan rule turned off); and each once more without "
            "the skill list, as retrieval was before it (ADR 0019). Pools: "
            f"{POOL} (strict) and "
            f"{RETRIEVAL_POOL} (what a recommendation request retrieves). A job outside the pool "
            "has no rank."
        ),
        "",
        *_table(list(ann.values()), with_pairwise=False),
        "",
    ]
    for size in POOLS:
        exact, approximate = ann[f"exact scan, pool {size}"], ann[f"HNSW index, pool {size}"]
        ratio = approximate.mrr / exact.mrr if exact.mrr else float("nan")
        verdict = "met" if ratio >= TARGETS["ann_ratio"] else "not met"
        bare_exact = ann[f"exact scan, no skill list, pool {size}"]
        bare = ann[f"HNSW index, no skill list, pool {size}"]
        bare_ratio = bare.mrr / bare_exact.mrr if bare_exact.mrr else float("nan")
        lines.append(
            f"- Pool {size}: MRR with HNSW / MRR with exact search = {ratio:.3f} (target ≥ "
            f"{TARGETS['ann_ratio']}: {verdict}); without the skill list {bare_ratio:.3f}."
        )
    lines.append(
        f"- The stored vectors take {study.stored_mb:.0f} MB: the shipped retriever "
        + (
            "scans them exactly at this size (`JOBRAKER_VECTOR_FULL_SCAN_MB`, 320 by default), "
            "so recommendations here get the exact scan's quality; the HNSW rows are what a "
            "larger catalogue gets."
            if study.shipped_scans
            else "uses the HNSW index at this size (above `JOBRAKER_VECTOR_FULL_SCAN_MB`)."
        )
    )
    if study.text_seconds:
        ordered = study.text_seconds
        median = statistics.median(ordered) * 1000
        p95 = percentile(ordered, 95) * 1000
        lines.append(
            f"- The full-text candidate query of each profile (its titles and skills looked for "
            f"in job titles, `TextScope.TITLES`), {len(ordered)} profiles: median {median:.1f} ms, "
            f"p95 {p95:.1f} ms, wall clock on the shared machine."
        )
    if study.skill_seconds:
        ordered = study.skill_seconds
        lines.append(
            f"- The skill candidate query of each profile (stored analyses asking for its "
            f"rarest skills, `SkillQuery`), {len(ordered)} profiles: median "
            f"{statistics.median(ordered) * 1000:.1f} ms, p95 {percentile(ordered, 95) * 1000:.1f}"
            f" ms. Storing the {study.background + 300:,} postings' analyses beforehand (as the "
            f"worker does after ingestion) took {study.analyse_seconds:.0f} s on two processes."
        )
    lines += [
        "",
        (
            "The vector path alone (no full text, no score) is measured at larger scale by the "
            "vector benchmark (`python -m benchmarks.vectors`, `docs/benchmarks-vectors.md`, "
            "column *ranking HNSW / exact*). Why HNSW loses some RJDB jobs, and what would "
            "help: `docs/adr/0007-vector-storage.md`."
        ),
        "",
    ]
    return lines


def report(  # noqa: PLR0917 - the parts of one report
    qualities: list[Quality],
    baseline: Quality | None,
    skills: dict[str, float],
    ann: AnnStudy | None,
    study: Study,
    seconds: float,
) -> str:
    """The Markdown report."""
    default = qualities[0]
    lines = [
        "# Matching quality",
        "",
        (
            f"Generated by `python -m benchmarks.matching_quality` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC (commit {_commit()}), in {seconds:.0f} s. "
            "Re-run it after changing the parser, the analyser or the score; the numbers below are "
            "measured, not asserted."
        ),
        "",
        "## Machine, data, parameters",
        "",
        f"- Machine: {_machine()}",
        (
            f"- Data: `{DATA_FILE}` (the first 300 rows of RJDB's test split, Pezeshkpour et al. "
            "2023, CC BY-SA 4.0): 300 jobs, each with a matched résumé and an unmatched one made "
            "by "
            "removing skills and shortening experience; `Filtered-information` names what was "
            "removed."
        ),
        (
            "- Parameters: the shipped weights of `jobraker_core.matching.scoring` "
            f"({_weights()}); no preferences "
            f"(so no hard constraint applies and location and salary are neutral); all postings "
            f"dated the same day; clock {NOW:%Y-%m-%d}. Parsing 600 résumés and analysing 300 jobs "
            f"took {study.parse_seconds:.1f} s."
        ),
        "- A tie between the matched and the unmatched résumé counts as a miss.",
        "",
        "## Pairwise accuracy, Hit@1, MRR (embedders side by side)",
        "",
        *_table(([baseline] if baseline else []) + qualities),
        "",
        f"Target: pairwise ≥ {TARGETS['pairwise']} (plain TF-IDF: 0.899 in the data's README; "
        f"{baseline.pairwise:.3f} with scikit-learn's defaults in this run)."
        if baseline
        else f"Target: pairwise ≥ {TARGETS['pairwise']} (scikit-learn not installed: no baseline).",
        f"The shipped configuration ({default.name}) "
        + (
            "meets it."
            if default.pairwise >= TARGETS["pairwise"]
            else f"does **not** meet it: {len(default.misses)} of 300 pairs are ties or inverted "
            f"(rows {', '.join(map(str, default.misses))})."
        ),
        "",
        "## Missing-skills explanation (unmatched résumés)",
        "",
        "| measure | value |",
        "|---|---|",
        (
            f"| recall of the removed skills | {skills['recall']:.3f} "
            f"({int(skills['gold'])} removed "
            "skills) |"
        ),
        (
            f"| precision over every missing item | {skills['precision']:.3f} "
            f"({int(skills['predicted'])} items) |"
        ),
        (
            f"| precision over the items missing only for the unmatched résumé | "
            f"{skills['precision_added']:.3f} ({int(skills['added'])} items) |"
        ),
        "",
        f"Target: recall ≥ {TARGETS['recall']}: "
        + ("met." if skills["recall"] >= TARGETS["recall"] else "**not met**."),
        (
            f"Of the {int(skills['gold'] - skills['recall'] * skills['gold'] + 0.5)} removed "
            f"skills not listed as missing, {int(skills['still_shown'])} are asked for by the job "
            "and still shown by the unmatched résumé (RJDB's generator removed them from the "
            "skills list but left them in a role's description, or the gold list names a skill "
            "the résumé still lists), and "
            f"{int(skills['unnamed'])} are not named by any requirement the analyser read: "
            "said only in the responsibilities or a job title, paraphrased beyond the word-overlap "
            'test, or misspelt in the gold list ("Horton works", "Java Scrip", "Payrol").'
        ),
        "",
        "### How requirements are read, and what counts as shown",
        "",
        (
            "- **Requirement phrasing.** Besides the taxonomy skills the whole posting names, the "
            "analyser reads the requirements and nice-to-have sections item by item (list items; "
            '"X skills:" headings; the items after a colon: "the following skills: A, B, C"), '
            "and a sentence too long to be one skill for what follows each asking phrase "
            '("experience with", "proficiency in", "knowledge of", "familiarity with", "track '
            'record in", "possess", ...) and for the list before "are essential / pivotal / '
            'required". Sentences of the summary (and of a posting with no headings) are read for '
            "the asking phrases only, as unstated requirements (0.75 weight). Responsibilities "
            "are not read for phrases: they say what the job does, not what it asks of the "
            "person. One requirement per set of content words (no double counting). Human "
            "languages are never skills (they are the profile's languages)."
        ),
        (
            "- **Where a résumé shows a skill.** A taxonomy skill counts as shown when the "
            "profile has it: listed in a skills section, or said in a role's description, the "
            'summary or anywhere else in the text. A skill named *only in a job title* ("Java '
            'Developer (2008 - 2011)" and no other mention) is **not** counted as shown: a title '
            "says what the person was called, not which skills they claim (the word-overlap test "
            "for requirement phrases already left titles out). It is listed among the missing "
            "skills with the title as its evidence, and earns half the skill's credit "
            "(`scoring.TITLE_ONLY_SHARE`), so a person sees why and can add it to their profile. "
            'A mention the text denies ("a UI lead without Angular JS and Ajax") is not a '
            "skill at all. A mention in a role description *is* evidence: saying what you built "
            "with a tool shows it, even if the skills list leaves it out; this is why some removed "
            "skills stay shown (above). A taxonomy skill is shown only by the profile having it "
            "(the extractor read every line); the word-overlap test is for requirements the "
            "taxonomy does not know, so removing a skill from an edited profile removes it."
        ),
        (
            "- None of these rules names a skill: they are about phrasing and document structure, "
            "and were checked against the gold lists only through the totals above. Before "
            "them (commit e73e32a) recall was 0.849, precision 0.493 over every item and 0.819 "
            "over the added items: reading more requirements lowers the first precision (more "
            "items that neither résumé shows, which are right to list but not in the gold) and "
            "leaves the second about where it was."
        ),
        "",
        (
            "Precision over every item is low by construction: a job's explanation also lists the "
            "skills *neither* résumé shows (the posting asks for them and RJDB's résumés do not "
            "mention them), which are right to show but are not in `Filtered-information`."
        ),
        "",
    ]
    if ann is not None:
        lines += _ann_section(ann)
    lines += [
        "## Reading the numbers",
        "",
        (
            "- The score, not the embedding, does most of the work: the skills part (taxonomy "
            "skills "
            "and requirement phrases checked against the profile's lines) and the experience part "
            "(years in the role a requirement names, from dated roles) are what tell a matched "
            "résumé from its unmatched twin; the similarity part mostly helps ranking."
        ),
        (
            "- Inverted pairs are mostly rows where the removed skill is still named elsewhere in "
            "the unmatched résumé, or where the shortened role is not one the job asks years for."
        ),
        (
            "- TF-IDF ranks better (Hit@1) because it is fitted on these very 300 jobs (its IDF "
            "knows which words single a job out); a per-request score cannot be. It is much worse "
            "at telling the matched résumé from its twin (pairwise), which is what the score is "
            "for."
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--skip-neural", action="store_true", help="do not try MiniLM")
    parser.add_argument(
        "--skip-ann",
        action="store_true",
        help="do not start PostgreSQL for the exact-vs-HNSW comparison",
    )
    parser.add_argument(
        "--background",
        type=int,
        default=100_000,
        help=(
            "varied synthetic postings to hide the RJDB jobs among for the exact-vs-HNSW study "
            "(100,000: about 20 minutes on two cores)"
        ),
    )
    parser.add_argument(
        "--ann-embedder",
        choices=["hashing", "static"],
        default="hashing",
        help=(
            "the vectors of the exact-vs-HNSW study: the local default, or a static model "
            "distilled from MiniLM (benchmarks/static_model.py; not shipped)"
        ),
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="with --ann-embedder static: where the distilled model is kept (re-used)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = load(args.data_dir)
    study = Study(rows)
    baseline = tfidf_baseline(rows)
    qualities: list[Quality] = []
    ann_embedder: Embedder | None = None
    candidates = embedders(args.skip_neural)
    if args.ann_embedder == "static":
        from benchmarks.static_model import StaticModelEmbedder  # noqa: PLC0415 - optional

        ann_embedder = StaticModelEmbedder(256, args.model_dir)
        candidates.insert(2, ("static model distilled from MiniLM (not shipped)", ann_embedder))
    for name, embedder in candidates:
        quality = study.quality(name, embedder)
        print(
            f"{name}: pairwise {quality.pairwise:.3f} Hit@1 {quality.hit1:.3f} "
            f"MRR {quality.mrr:.3f}"
        )
        qualities.append(quality)
    skills = study.missing_skills()
    print(f"missing skills: {skills}")
    background = [] if args.skip_ann else background_postings(args.background, args.data_dir)
    ann = None if args.skip_ann else ann_study(study, background, ann_embedder)
    text = report(
        qualities,
        baseline,
        skills,
        ann,
        study,
        time.perf_counter() - started,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
