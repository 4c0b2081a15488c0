"""Stored job analyses: the pass after ingestion, and scoring from stored analyses."""

from __future__ import annotations

from datetime import timedelta

import attrs
from matching_builders import PYTHON_JOB, candidate, job, scorer

from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_adapters.memory.analyses import InMemoryJobAnalysisRepository
from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.matching.analysis import ANALYSIS_VERSION, JobAnalyser, JobSkill
from jobraker_core.matching.analysis_store import (
    AnalyseJobs,
    AnalysisCounts,
    StoredAnalysis,
    analyses_of,
)
from jobraker_core.matching.candidate import Evidence, EvidenceSource


def analyser(data_version: str = "data-1") -> JobAnalyser:
    """A fresh analyser (empty memo) over the shipped taxonomy."""
    return JobAnalyser(load_skill_extractor(), load_title_normaliser(), data_version=data_version)


def stored_jobs(*jobs):
    """A unit of work factory holding ``jobs``, and an analysis store reading them."""
    uow = InMemoryUnitOfWorkFactory()
    with uow() as unit:
        unit.jobs.save(jobs)
        unit.commit()
    return uow, InMemoryJobAnalysisRepository(store=uow.store)


def test_the_version_names_the_code_and_the_data():
    """Stored analyses are keyed by both: new code or new taxonomy data makes them stale."""
    assert analyser("abc").version == f"analysis-v{ANALYSIS_VERSION}:abc"
    assert analyser("abc").version != analyser("abd").version


def test_the_pass_stores_every_posting_once_and_then_only_what_changed():
    """A rerun does nothing; a posting seen again unchanged is only marked; an edit is redone."""
    postings = [job(company=f"Acme {n}", number=n) for n in range(5)]
    uow, store = stored_jobs(*postings)
    first = AnalyseJobs(store, analyser(), batch_size=2)()
    assert first == AnalysisCounts(checked=5, analysed=5)
    assert sorted(store.saved) == sorted(p.id for p in postings)
    assert AnalyseJobs(store, analyser())() == AnalysisCounts()

    later = postings[0].last_seen + timedelta(hours=1)
    seen = attrs.evolve(postings[0], last_seen=later)
    edited = attrs.evolve(postings[1], description=PYTHON_JOB + "\n- Rust\n", last_seen=later)
    with uow() as unit:
        unit.jobs.save([seen, edited])
        unit.commit()
    again = AnalyseJobs(store, analyser())()
    assert again == AnalysisCounts(checked=2, analysed=1, unchanged=1)
    stored = store.get_many(analyser().version, [edited])
    assert "Rust" in {s.name for s in stored[edited.id].skills}


def test_new_taxonomy_data_makes_every_analysis_again():
    """Another version finds nothing current and stores every posting anew."""
    _, store = stored_jobs(job(company="A", number=1), job(company="B", number=2))
    AnalyseJobs(store, analyser("data-1"))()
    assert AnalyseJobs(store, analyser("data-2"))() == AnalysisCounts(checked=2, analysed=2)


def test_a_bounded_pass_stops_at_its_limit_and_the_next_carries_on():
    """``max_jobs`` bounds one call, progress comes after each batch; the rest waits."""
    _, store = stored_jobs(*(job(company=f"Acme {n}", number=n) for n in range(5)))
    seen: list[AnalysisCounts] = []
    assert AnalyseJobs(store, analyser(), batch_size=2)(max_jobs=3, on_progress=seen.append) == (
        AnalysisCounts(checked=3, analysed=3)
    )
    assert [counts.checked for counts in seen] == [2, 3]
    assert AnalyseJobs(store, analyser())().analysed == 2


def test_scoring_reads_a_stored_analysis_instead_of_making_one():
    """What the store holds for the posting's current text is what is scored, and remembered."""
    posting = job()
    _, store = stored_jobs(posting)
    reader = analyser()
    made = reader.analyse(posting)
    marked = attrs.evolve(
        made,
        skills=(
            *made.skills,
            JobSkill(
                "Cobol", "cobol", required=True, evidence=Evidence("Cobol", EvidenceSource.JOB)
            ),
        ),
    )
    store.save(reader.version, [StoredAnalysis(posting, marked)])
    fresh = analyser()
    assert analyses_of(fresh, store, [posting]) == [marked]
    assert fresh.remembered(posting) == marked
    assert analyses_of(analyser(), None, [posting]) == [made]


def test_a_stored_analysis_of_other_text_is_never_used():
    """An edited posting is analysed afresh, not explained from its old text."""
    posting = job()
    _, store = stored_jobs(posting)
    reader = analyser()
    old = attrs.evolve(reader.analyse(posting), skills=())
    store.save(reader.version, [StoredAnalysis(posting, old)])
    edited = attrs.evolve(posting, description=PYTHON_JOB + "\n- Rust\n")
    (analysis,) = analyses_of(analyser(), store, [edited])
    assert "Rust" in {s.name for s in analysis.skills}
    assert analysis == reader.analyse(edited)


def test_recommendation_scores_come_from_stored_analyses():
    """A pool scored from stored analyses scores as one analysed in the process."""
    postings = [job(company=f"Acme {n}", number=n) for n in range(3)]
    _, store = stored_jobs(*postings)
    AnalyseJobs(store, analyser())()
    profile = candidate("Python", "Django")
    fresh = analyser()
    from_store = [
        scorer(profile).score(p, a, 0.3)
        for p, a in zip(postings, analyses_of(fresh, store, postings), strict=True)
    ]
    in_process = [scorer(profile).score(p, analyser().analyse(p), 0.3) for p in postings]
    assert from_store == in_process
