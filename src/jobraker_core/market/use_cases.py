"""Use cases of market intelligence: read jobs' facts, salary insight, posting trends.

``SalaryInsight`` is what the chat assistant calls for "what does a <title> earn in <place>?":
build a ``SalaryQuestion`` and read the ``SalaryReport``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import InvalidInput, UpstreamError
from jobraker_core.jobs.model import JobQuery, RemoteMode
from jobraker_core.market.model import (
    DEFAULT_TREND_WEEKS,
    Dimension,
    JobFacts,
    MarketScope,
    Occupation,
    SalaryReport,
    Trends,
    check_window,
    growing,
    monday,
    series,
    title_words,
)
from jobraker_core.matching.analysis_store import analyses_of

if TYPE_CHECKING:
    from datetime import date

    from jobraker_core.market.ports import ExternalSalaryData, MarketData
    from jobraker_core.matching.analysis import JobAnalyser
    from jobraker_core.matching.analysis_store import JobAnalysisRepository
    from jobraker_core.matching.skills import TitleNormaliser

ANALYSE_BATCH: Final = 100
MAX_TEXT: Final = 200
EXTERNAL_MONTHS: Final = 12


def _text(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return cleaned


class AnalyseMarket:
    """Reads the facts (occupation, skills) of every job that has none or changed since.

    The worker runs it after each ingestion; it is idempotent and resumable (each batch is
    stored as it is read).
    """

    def __init__(
        self,
        market: MarketData,
        analyser: JobAnalyser,
        analyses: JobAnalysisRepository | None = None,
    ) -> None:
        """Read facts with ``analyser``, reusing the stored ``analyses`` where they are current."""
        self._market = market
        self._analyser = analyser
        self._analyses = analyses

    def __call__(self, limit: int | None = None) -> int:
        """Read up to ``limit`` jobs (all when None); return how many were read."""
        done = 0
        while limit is None or done < limit:
            batch = self._market.stale(
                ANALYSE_BATCH if limit is None else min(ANALYSE_BATCH, limit - done)
            )
            if not batch:
                break
            facts = []
            analyses = analyses_of(self._analyser, self._analyses, batch)
            for job, analysis in zip(batch, analyses, strict=True):
                occupation = (
                    Occupation(analysis.occupation_code, analysis.occupation)
                    if analysis.occupation_code and analysis.occupation
                    else None
                )
                skills = tuple(dict.fromkeys(s.name for s in analysis.skills if s.skill_id))
                facts.append(
                    JobFacts(job.id, occupation, title_words(job.title), skills, job.last_seen)
                )
            self._market.save_facts(facts)
            done += len(batch)
        return done


@attrs.frozen
class SalaryQuestion:
    """Asks what ``title`` pays in ``location`` / ``country`` (each optional)."""

    title: str | None = None
    location: str | None = None
    country: str | None = None
    remote: RemoteMode | None = None


def _scope(titles: TitleNormaliser, title: str | None, filters: JobQuery) -> MarketScope:
    if title is None:
        return MarketScope(filters)
    found = titles.normalise(title)
    if found is not None:
        return MarketScope(filters, occupation=Occupation(found.code, found.title))
    words = title_words(title)
    if not words:
        raise InvalidInput("title has no words to look for", field="title")
    return MarketScope(filters, words=words)


def _filters(location: str | None, country: str | None, remote: RemoteMode | None) -> JobQuery:
    return JobQuery(
        location=_text(location, "location"),
        country=country.strip().upper() if country and country.strip() else None,
        remote=remote,
    )


class SalaryInsight:
    """Salary percentiles for a title and place, from the jobs Jobraker has seen.

    Per currency, stated and estimated apart. With external data configured and a country
    given, Adzuna's histogram and monthly history for the title come too; their failure is
    reported in ``external_error`` and never fails the answer.
    """

    def __init__(
        self,
        market: MarketData,
        titles: TitleNormaliser,
        external: ExternalSalaryData | None = None,
    ) -> None:
        self._market = market
        self._titles = titles
        self._external = external

    def __call__(self, question: SalaryQuestion) -> SalaryReport:
        """Answer ``question``."""
        title = _text(question.title, "title")
        filters = _filters(question.location, question.country, question.remote)
        scope = _scope(self._titles, title, filters)
        report = SalaryReport(
            title=title,
            occupation=scope.occupation,
            location=filters.location,
            country=filters.country,
            stats=tuple(self._market.salary_stats(scope)),
            unanalysed=self._market.unanalysed() if scope.by_title else 0,
        )
        if self._external is None or filters.country is None or title is None:
            return report
        try:  # Adzuna searches keywords: the person's own words fit it best
            external = self._external.salaries(filters.country.lower(), title, EXTERNAL_MONTHS)
        except (UpstreamError, InvalidInput) as error:
            return attrs.evolve(report, external_error=error.message)
        return attrs.evolve(report, external=external)


@attrs.frozen
class TrendQuestion:
    """Posting trends over ``weeks`` weeks up to ``until`` (default: the newest posting's week)."""

    title: str | None = None
    location: str | None = None
    country: str | None = None
    weeks: int = DEFAULT_TREND_WEEKS
    top: int = 10
    until: date | None = None


class MarketTrends:
    """Postings per week by title, skill and place, fastest-growing skills and top employers."""

    def __init__(self, market: MarketData, titles: TitleNormaliser) -> None:
        self._market = market
        self._titles = titles

    def __call__(self, question: TrendQuestion) -> Trends:
        """Answer ``question`` with series ready to chart."""
        check_window(question.weeks, question.top)
        filters = _filters(question.location, question.country, None)
        scope = _scope(self._titles, _text(question.title, "title"), filters)
        unanalysed = self._market.unanalysed()
        end = monday(question.until) if question.until else self._market.latest_week(scope)
        if end is None:
            return Trends((), (), (), (), (), (), unanalysed)
        weeks = tuple(end - timedelta(weeks=n) for n in reversed(range(question.weeks)))
        start = weeks[0]
        counts = {d: self._market.weekly(d, scope, start, end) for d in Dimension}
        return Trends(
            weeks=weeks,
            titles=series(counts[Dimension.TITLE], weeks, question.top),
            skills=series(counts[Dimension.SKILL], weeks, question.top),
            locations=series(counts[Dimension.LOCATION], weeks, question.top),
            growing_skills=growing(counts[Dimension.SKILL], weeks, question.top),
            employers=tuple(self._market.employers(scope, start, end, question.top)),
            unanalysed=unanalysed,
        )
