"""The PostgreSQL ``JobAnalysisRepository`` on ``job_analyses`` (migration 0091).

Each posting's analysis is one ``jsonb`` document written and read by ``analysis_to_json`` /
``analysis_from_json``. Evidence is written as in the candidate profile's documents, except that
what is a slice of the posting's own text is written as where it is: a posting's lines are its
evidence's contexts, and on run-on postings a line is the whole text, so writing them out made
documents of 20 kB where the text itself was 3 kB. A document is read only with the posting
whose text it was made from (``job_content_hash``), so the slices are exact. Every call is its own
transaction on a pooled connection: analyses are derived data, made outside any unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg.types.json import Jsonb, set_json_loads

from jobraker_adapters.postgres.jobs import PostgresJobRepository
from jobraker_adapters.postgres.matching import Json, evidence_from_json, evidence_to_json
from jobraker_adapters.postgres.pool import Pool, borrowed
from jobraker_core.jobs.model import JobPosting
from jobraker_core.matching.analysis import ExperienceRequirement, JobAnalysis, JobSkill
from jobraker_core.matching.analysis_store import PendingAnalysis, StoredAnalysis
from jobraker_core.matching.candidate import Evidence
from jobraker_core.matching.retrieval import job_content_hash
from jobraker_core.matching.skills import Seniority


def _evidence_to_json(evidence: Evidence, text: str) -> Json:
    """The evidence's document, its text and context as spans of ``text`` where they are."""
    data = evidence_to_json(evidence) or {}
    start, end = evidence.start, evidence.end
    if start is not None and end is not None and text[start:end] == evidence.text:
        del data["text"]
    context = evidence.context
    if context and (at := text.find(context)) >= 0:
        del data["context"]
        data["context_at"] = [at, len(context)]
    return data


def _evidence_from_json(
    data: Mapping[str, Any], text: str, lines: dict[tuple[int, int], str]
) -> Evidence:
    """The evidence of ``_evidence_to_json``'s document, read against the same ``text``.

    ``lines`` holds the contexts already cut from ``text`` for this document: the skills read
    from one line share one string (on a run-on posting, every skill's context is the same).
    """
    full = dict(data)
    if "text" not in full:
        full["text"] = text[full["start"] : full["end"]]
    span = full.pop("context_at", None)
    if span is not None:
        at, size = span
        context = lines.get((at, size))
        if context is None:
            context = lines[at, size] = text[at : at + size]
        full["context"] = context
    evidence = evidence_from_json(full)
    if evidence is None:  # pragma: no cover - a dict always gives one
        raise ValueError("a stored job analysis has an item without evidence")
    return evidence


def analysis_to_json(analysis: JobAnalysis, text: str) -> Json:
    """The ``jsonb`` document of ``analysis`` of a posting whose description is ``text``."""
    return {
        "skills": [
            {
                "name": s.name,
                "skill_id": s.skill_id,
                "required": s.required,
                "evidence": _evidence_to_json(s.evidence, text),
                "terms": sorted(s.terms),
            }
            for s in analysis.skills
        ],
        "experience": [
            {
                "years": e.years,
                "role": e.role,
                "evidence": _evidence_to_json(e.evidence, text),
                "occupation_code": e.occupation_code,
            }
            for e in analysis.experience
        ],
        "occupation_code": analysis.occupation_code,
        "occupation": analysis.occupation,
        "seniority": analysis.seniority.value if analysis.seniority else None,
        "family": analysis.family,
    }


def analysis_from_json(job_id: uuid.UUID, data: Mapping[str, Any], text: str) -> JobAnalysis:
    """The analysis of posting ``job_id`` (description ``text``) from ``analysis_to_json``."""
    seniority = data.get("seniority")
    lines: dict[tuple[int, int], str] = {}
    return JobAnalysis(
        job_id=job_id,
        skills=tuple(
            JobSkill(
                name=s["name"],
                skill_id=s.get("skill_id"),
                required=s.get("required"),
                evidence=_evidence_from_json(s["evidence"], text, lines),
                terms=frozenset(s.get("terms", ())),
            )
            for s in data.get("skills", ())
        ),
        experience=tuple(
            ExperienceRequirement(
                years=float(e["years"]),
                role=e.get("role"),
                evidence=_evidence_from_json(e["evidence"], text, lines),
                occupation_code=e.get("occupation_code"),
            )
            for e in data.get("experience", ())
        ),
        occupation_code=data.get("occupation_code"),
        occupation=data.get("occupation"),
        seniority=Seniority(seniority) if seniority else None,
        family=data["family"],
    )


class PostgresJobAnalysisRepository:
    """A ``JobAnalysisRepository`` on the ``job_analyses`` table."""

    def __init__(self, pool: Pool) -> None:
        """Borrow connections from ``pool``."""
        self.pool = pool

    def pending(
        self, version: str, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingAnalysis]:
        """Postings with no analysis of ``version`` or seen since it was checked, by id."""
        keyset = "" if after is None else "AND j.id > %(after)s"
        with borrowed(self.pool) as conn:
            rows = conn.execute(
                "SELECT j.id, a.content_hash FROM jobs j LEFT JOIN job_analyses a"
                "   ON a.job_id = j.id AND a.version = %(version)s"
                f" WHERE (a.job_id IS NULL OR j.last_seen > a.job_seen_at) {keyset}"
                " ORDER BY j.id LIMIT %(limit)s",
                {"version": version, "after": after, "limit": limit},
            ).fetchall()
            jobs = {
                job.id: job
                for job in PostgresJobRepository(conn).get_many([row[0] for row in rows])
            }
        return [
            PendingAnalysis(jobs[job_id], stored_hash)
            for job_id, stored_hash in rows
            if job_id in jobs
        ]

    def save(self, version: str, items: Sequence[StoredAnalysis]) -> None:
        """Insert or replace these postings' analyses (a posting deleted meanwhile is skipped)."""
        if not items:
            return
        with borrowed(self.pool) as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO job_analyses (job_id, version, content_hash, job_seen_at, analysis)"
                " SELECT %(job)s, %(version)s, %(hash)s, %(seen)s, %(doc)s"
                " WHERE EXISTS (SELECT 1 FROM jobs WHERE id = %(job)s)"
                " ON CONFLICT (job_id) DO UPDATE SET version = EXCLUDED.version,"
                " content_hash = EXCLUDED.content_hash, job_seen_at = EXCLUDED.job_seen_at,"
                " analysis = EXCLUDED.analysis",
                [
                    {
                        "job": item.job.id,
                        "version": version,
                        "hash": job_content_hash(item.job),
                        "seen": item.job.last_seen,
                        "doc": Jsonb(analysis_to_json(item.analysis, item.job.description)),
                    }
                    for item in items
                ],
            )

    def touch(self, version: str, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Move the ``version`` analyses' ``job_seen_at`` forward to these times."""
        if not seen:
            return
        with borrowed(self.pool) as conn:
            conn.execute(
                "UPDATE job_analyses a SET job_seen_at = s.at"
                " FROM unnest(%s::uuid[], %s::timestamptz[]) AS s(id, at)"
                " WHERE a.job_id = s.id AND a.version = %s AND s.at > a.job_seen_at",
                (list(seen), list(seen.values()), version),
            )

    def get_many(self, version: str, jobs: Sequence[JobPosting]) -> dict[uuid.UUID, JobAnalysis]:
        """The stored ``version`` analyses of these postings made from the text they have now."""
        if not jobs:
            return {}
        by_id = {job.id: job for job in jobs}
        with borrowed(self.pool) as conn, conn.cursor() as cur:
            # a pool's worth of documents is most of the read's time in the stdlib's decoder
            set_json_loads(msgspec.json.decode, cur)
            rows = cur.execute(
                "SELECT a.job_id, a.analysis FROM job_analyses a"
                " JOIN unnest(%s::uuid[], %s::text[]) AS w(id, hash)"
                "   ON a.job_id = w.id AND a.content_hash = w.hash"
                " WHERE a.version = %s",
                (list(by_id), [job_content_hash(job) for job in by_id.values()], version),
            ).fetchall()
        return {
            job_id: analysis_from_json(job_id, doc, by_id[job_id].description)
            for job_id, doc in rows
        }
