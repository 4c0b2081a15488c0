"""Free-text search by meaning: the query is embedded and hybrid retrieval finds the jobs.

Unlike ``SearchJobs`` (every word must appear), a search by meaning ranks the jobs that pass the
filters by reciprocal-rank fusion of full-text matches of *any* query word and of vector
similarity to the query, so "backend engineer with postgres" also finds a "Python developer"
posting that talks about databases. Each hit carries its ranks and similarity.
"""

from __future__ import annotations

from typing import Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import MAX_QUERY_LENGTH, JobPosting, JobQuery
from jobraker_core.matching.embedding import Embedder
from jobraker_core.matching.retrieval import JobRetriever, RetrievedJob
from jobraker_core.ports import UnitOfWorkFactory

MAX_SEARCH_RESULTS: Final = 100
DEFAULT_SEARCH_RESULTS: Final = 20


def _text(_instance: object, _attribute: object, value: str) -> None:
    if not value.strip():
        raise InvalidInput("the search text is empty", field="q")
    if len(value) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"the search text is longer than {MAX_QUERY_LENGTH} characters", field="q"
        )


def _limit(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not 1 <= value <= MAX_SEARCH_RESULTS:
        raise InvalidInput(f"limit must be between 1 and {MAX_SEARCH_RESULTS}", field="limit")


@attrs.frozen
class SearchByMeaning:
    """Query: the jobs passing ``filters`` that best match ``text``, at most ``limit``.

    ``filters.text`` (if any) stays a hard filter: its words must all appear.
    """

    text: str = attrs.field(validator=_text)
    filters: JobQuery = attrs.field(factory=JobQuery)
    limit: int = attrs.field(default=DEFAULT_SEARCH_RESULTS, validator=_limit)


@attrs.frozen
class SearchHit:
    """A job found by a search by meaning, with how retrieval ranked it."""

    job: JobPosting
    retrieval: RetrievedJob


class SearchJobsByMeaning:
    """Embeds the query text, retrieves (filters, full text, vectors, fusion), reads the jobs.

    Errors of the embedder (``UpstreamUnavailable``, ``RateLimited``, ``ConfigurationError``) and
    of storage propagate. A job deleted between retrieval and reading is left out.
    """

    def __init__(self, uow: UnitOfWorkFactory, retriever: JobRetriever, embedder: Embedder) -> None:
        self._uow = uow
        self._retriever = retriever
        self._embedder = embedder

    def __call__(self, query: SearchByMeaning) -> list[SearchHit]:
        """Return the hits, best first."""
        (vector,) = self._embedder.embed([query.text])
        found = self._retriever.retrieve(
            text=query.text, vector=vector, filters=query.filters, limit=query.limit
        )
        with self._uow() as uow:
            jobs = {job.id: job for job in uow.jobs.get_many([r.job_id for r in found])}
        return [
            SearchHit(job=jobs[retrieved.job_id], retrieval=retrieved)
            for retrieved in found
            if retrieved.job_id in jobs
        ]
