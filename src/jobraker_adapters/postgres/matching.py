"""PostgreSQL repositories of matching (migrations 0013-0016).

Résumé versions, candidate profiles, feedback, saved searches and their hits.

They follow the in-memory fakes (``jobraker_adapters.memory.matching``). The candidate profile,
the feedback's job traits and the saved search's filters are ``jsonb`` documents written and read
by the explicit ``*_to_json`` / ``*_from_json`` functions below; amounts travel as decimal
strings. Every value is a query parameter.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.errors import NotFound
from jobraker_core.jobs.model import EmploymentType, JobQuery, JobSort, RemoteMode
from jobraker_core.matching.candidate import (
    CandidateProfile,
    CandidateSkill,
    DegreeLevel,
    Education,
    Evidence,
    EvidenceSource,
    Language,
    Period,
    Role,
    YearMonth,
)
from jobraker_core.matching.feedback import DismissReason, Feedback, FeedbackKind, JobTraits
from jobraker_core.matching.resume import Resume
from jobraker_core.matching.saved_searches import SavedSearch, SavedSearchHit
from jobraker_core.matching.skills import Seniority
from jobraker_core.pagination import Page, PageRequest

Json = dict[str, Any]
Row = Mapping[str, Any]
DOCUMENT_VERSION: Final = 1


# ----------------------------------------------------------------------------- mapping


def evidence_to_json(evidence: Evidence | None) -> Json | None:
    if evidence is None:
        return None
    return {
        "text": evidence.text,
        "source": evidence.source.value,
        "start": evidence.start,
        "end": evidence.end,
        "context": evidence.context,
    }


def evidence_from_json(data: Mapping[str, Any] | None) -> Evidence | None:
    if data is None:
        return None
    return Evidence(
        text=data["text"],
        source=EvidenceSource(data["source"]),
        start=data.get("start"),
        end=data.get("end"),
        context=data.get("context"),
    )


def _period_to_json(period: Period | None) -> Json | None:
    if period is None:
        return None
    return {"start": str(period.start), "end": str(period.end) if period.end else None}


def _period_from_json(data: Mapping[str, Any] | None) -> Period | None:
    if data is None:
        return None
    end = data.get("end")
    return Period(YearMonth.parse(data["start"]), YearMonth.parse(end) if end else None)


def profile_to_json(profile: CandidateProfile) -> Json:
    """The facts of a candidate profile as one JSON document."""
    return {
        "v": DOCUMENT_VERSION,
        "skills": [
            {
                "name": s.name,
                "skill_id": s.skill_id,
                "evidence": evidence_to_json(s.evidence),
                "periods": [_period_to_json(p) for p in s.periods],
            }
            for s in profile.skills
        ],
        "roles": [
            {
                "title": r.title,
                "company": r.company,
                "period": _period_to_json(r.period),
                "description": r.description,
                "occupation_code": r.occupation_code,
                "occupation": r.occupation,
                "seniority": r.seniority.value if r.seniority else None,
                "evidence": evidence_to_json(r.evidence),
            }
            for r in profile.roles
        ],
        "education": [
            {
                "text": e.text,
                "level": e.level.value if e.level else None,
                "field_of_study": e.field_of_study,
                "year": e.year,
                "evidence": evidence_to_json(e.evidence),
            }
            for e in profile.education
        ],
        "languages": [
            {"name": lang.name, "level": lang.level, "evidence": evidence_to_json(lang.evidence)}
            for lang in profile.languages
        ],
        "locations": list(profile.locations),
        "summary": profile.summary,
    }


def profile_from_row(row: Row) -> CandidateProfile:
    """A candidate profile from its ``candidate_profiles`` row."""
    doc: Mapping[str, Any] = row["document"]
    return CandidateProfile(
        user_id=row["user_id"],
        resume_id=row["resume_id"],
        skills=tuple(
            CandidateSkill(
                name=s["name"],
                skill_id=s.get("skill_id"),
                evidence=evidence_from_json(s.get("evidence")),
                periods=tuple(
                    p for p in (_period_from_json(x) for x in s.get("periods", ())) if p is not None
                ),
            )
            for s in doc.get("skills", ())
        ),
        roles=tuple(
            Role(
                title=r["title"],
                company=r.get("company"),
                period=_period_from_json(r.get("period")),
                description=r.get("description", ""),
                occupation_code=r.get("occupation_code"),
                occupation=r.get("occupation"),
                seniority=Seniority(r["seniority"]) if r.get("seniority") else None,
                evidence=evidence_from_json(r.get("evidence")),
            )
            for r in doc.get("roles", ())
        ),
        education=tuple(
            Education(
                text=e["text"],
                level=DegreeLevel(e["level"]) if e.get("level") else None,
                field_of_study=e.get("field_of_study"),
                year=e.get("year"),
                evidence=evidence_from_json(e.get("evidence")),
            )
            for e in doc.get("education", ())
        ),
        languages=tuple(
            Language(
                name=x["name"],
                level=x.get("level"),
                evidence=evidence_from_json(x.get("evidence")),
            )
            for x in doc.get("languages", ())
        ),
        locations=tuple(doc.get("locations", ())),
        summary=doc.get("summary"),
        edited=row["edited"],
        updated_at=row["updated_at"],
    )


def traits_to_json(traits: JobTraits) -> Json:
    """A job's traits (kept with feedback) as JSON."""
    return {
        "title": traits.title,
        "company": traits.company,
        "occupation_code": traits.occupation_code,
        "occupation": traits.occupation,
        "seniority": traits.seniority.value if traits.seniority else None,
        "place": traits.place,
        "remote": traits.remote,
        "salary_high": str(traits.salary_high) if traits.salary_high is not None else None,
        "currency": traits.currency,
    }


def traits_from_json(data: Mapping[str, Any]) -> JobTraits:
    """A job's traits from ``traits_to_json``'s document."""
    high = data.get("salary_high")
    return JobTraits(
        title=data["title"],
        company=data.get("company"),
        occupation_code=data.get("occupation_code"),
        occupation=data.get("occupation"),
        seniority=Seniority(data["seniority"]) if data.get("seniority") else None,
        place=data.get("place"),
        remote=bool(data.get("remote")),
        salary_high=Decimal(high) if high is not None else None,
        currency=data.get("currency"),
    )


def query_to_json(query: JobQuery) -> Json:
    """The filters of a saved search as JSON (sort and ``posted_since`` are not kept)."""
    return {
        "text": query.text,
        "location": query.location,
        "country": query.country,
        "remote": query.remote.value if query.remote else None,
        "salary_min": str(query.salary_min) if query.salary_min is not None else None,
        "salary_max": str(query.salary_max) if query.salary_max is not None else None,
        "currency": query.currency,
        "employment_type": query.employment_type.value if query.employment_type else None,
        "company": query.company,
        "category": query.category,
    }


def query_from_json(data: Mapping[str, Any]) -> JobQuery:
    """The filters of a saved search from ``query_to_json``'s document."""

    def amount(name: str) -> Decimal | None:
        value = data.get(name)
        return Decimal(value) if value is not None else None

    return JobQuery(
        text=data.get("text"),
        location=data.get("location"),
        country=data.get("country"),
        remote=RemoteMode(data["remote"]) if data.get("remote") else None,
        salary_min=amount("salary_min"),
        salary_max=amount("salary_max"),
        currency=data.get("currency"),
        employment_type=(
            EmploymentType(data["employment_type"]) if data.get("employment_type") else None
        ),
        company=data.get("company"),
        category=data.get("category"),
        sort=JobSort.DATE,
    )


def _resume_from_row(row: Row) -> Resume:
    return Resume(
        id=row["id"],
        user_id=row["user_id"],
        version=row["version"],
        filename=row["filename"],
        media_type=row["media_type"],
        size=row["size"],
        sha256=row["sha256"],
        text=row["text"],
        uploaded_at=row["uploaded_at"],
    )


def _search_from_row(row: Row) -> SavedSearch:
    return SavedSearch(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        query=query_from_json(row["query"]),
        min_score=row["min_score"],
        created_at=row["created_at"],
        checked_at=row["checked_at"],
    )


def _feedback_from_row(row: Row) -> Feedback:
    return Feedback(
        user_id=row["user_id"],
        job_id=row["job_id"],
        kind=FeedbackKind(row["kind"]),
        reason=DismissReason(row["reason"]) if row["reason"] else None,
        note=row["note"],
        traits=traits_from_json(row["traits"]),
        created_at=row["created_at"],
    )


def _page(items: list[Any], total: int, page: PageRequest) -> Page[Any]:
    return Page(items=tuple(items), total=total, request=page)


# ----------------------------------------------------------------------------- repositories


class PostgresResumeRepository:
    """A ``ResumeRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, resume: Resume) -> None:
        """Insert a version; ``Conflict`` when the number is taken."""
        try:
            with translate_errors(), self._conn.transaction():
                self._conn.execute(
                    "INSERT INTO resumes (id, user_id, version, filename, media_type, size, "
                    "sha256, text, uploaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        resume.id,
                        resume.user_id,
                        resume.version,
                        resume.filename,
                        resume.media_type,
                        resume.size,
                        resume.sha256,
                        resume.text,
                        resume.uploaded_at,
                    ),
                )
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound(f"user {resume.user_id} not found") from error

    def get(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> Resume:
        """The person's version, or ``NotFound``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM resumes WHERE id = %s AND user_id = %s", (resume_id, user_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"résumé {resume_id} not found")
        return _resume_from_row(row)

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Resume]:
        """Newest version first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT *, count(*) OVER () AS total FROM resumes WHERE user_id = %s "
                "ORDER BY version DESC LIMIT %s OFFSET %s",
                (user_id, page.per_page, page.offset),
            ).fetchall()
            total = rows[0]["total"] if rows else self._count(user_id)
        return _page([_resume_from_row(r) for r in rows], total, page)

    def _count(self, user_id: uuid.UUID) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM resumes WHERE user_id = %s", (user_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def latest_version(self, user_id: uuid.UUID) -> int:
        """The highest version number (0 when none)."""
        with translate_errors():
            row = self._conn.execute(
                "SELECT coalesce(max(version), 0) FROM resumes WHERE user_id = %s", (user_id,)
            ).fetchone()
        return int(row[0]) if row else 0


class PostgresCandidateProfileRepository:
    """A ``CandidateProfileRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, user_id: uuid.UUID) -> CandidateProfile | None:
        """The person's profile, if any."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM candidate_profiles WHERE user_id = %s", (user_id,)
            ).fetchone()
        return None if row is None else profile_from_row(row)

    def save(self, profile: CandidateProfile) -> None:
        """Insert or replace the person's profile."""
        try:
            with translate_errors(), self._conn.transaction():
                self._conn.execute(
                    "INSERT INTO candidate_profiles (user_id, resume_id, edited, document, "
                    "updated_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET "
                    "resume_id = EXCLUDED.resume_id, edited = EXCLUDED.edited, "
                    "document = EXCLUDED.document, updated_at = EXCLUDED.updated_at",
                    (
                        profile.user_id,
                        profile.resume_id,
                        profile.edited,
                        Jsonb(profile_to_json(profile)),
                        profile.updated_at,
                    ),
                )
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound(f"user {profile.user_id} not found") from error


class PostgresFeedbackRepository:
    """A ``FeedbackRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(self, feedback: Feedback) -> None:
        """Insert or replace the feedback on the job."""
        try:
            with translate_errors(), self._conn.transaction():
                self._conn.execute(
                    "INSERT INTO match_feedback (user_id, job_id, kind, reason, note, traits, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (user_id, job_id) DO UPDATE SET kind = EXCLUDED.kind, "
                    "reason = EXCLUDED.reason, note = EXCLUDED.note, traits = EXCLUDED.traits, "
                    "created_at = EXCLUDED.created_at",
                    (
                        feedback.user_id,
                        feedback.job_id,
                        feedback.kind.value,
                        feedback.reason.value if feedback.reason else None,
                        feedback.note,
                        Jsonb(traits_to_json(feedback.traits)),
                        feedback.created_at,
                    ),
                )
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound(f"user {feedback.user_id} not found") from error

    def get(self, user_id: uuid.UUID, job_id: uuid.UUID) -> Feedback | None:
        """The feedback on the job, if any."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM match_feedback WHERE user_id = %s AND job_id = %s", (user_id, job_id)
            ).fetchone()
        return None if row is None else _feedback_from_row(row)

    def list(self, user_id: uuid.UUID) -> list[Feedback]:
        """The person's feedback, oldest first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT * FROM match_feedback WHERE user_id = %s ORDER BY created_at, job_id::text",
                (user_id,),
            ).fetchall()
        return [_feedback_from_row(r) for r in rows]

    def delete(self, user_id: uuid.UUID, job_id: uuid.UUID) -> bool:
        """Forget the feedback on the job."""
        with translate_errors():
            cur = self._conn.execute(
                "DELETE FROM match_feedback WHERE user_id = %s AND job_id = %s", (user_id, job_id)
            )
        return cur.rowcount > 0


class PostgresSavedSearchRepository:
    """A ``SavedSearchRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, search: SavedSearch) -> None:
        """Insert a search."""
        try:
            with translate_errors(), self._conn.transaction():
                self._conn.execute(
                    "INSERT INTO saved_searches (id, user_id, name, query, min_score, created_at, "
                    "checked_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        search.id,
                        search.user_id,
                        search.name,
                        Jsonb(query_to_json(search.query)),
                        search.min_score,
                        search.created_at,
                        search.checked_at,
                    ),
                )
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound(f"user {search.user_id} not found") from error

    def get(self, user_id: uuid.UUID, search_id: uuid.UUID) -> SavedSearch:
        """The person's search, or ``NotFound``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM saved_searches WHERE id = %s AND user_id = %s", (search_id, user_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"saved search {search_id} not found")
        return _search_from_row(row)

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[SavedSearch]:
        """Newest first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT * FROM saved_searches WHERE user_id = %s "
                "ORDER BY created_at DESC, id::text DESC LIMIT %s OFFSET %s",
                (user_id, page.per_page, page.offset),
            ).fetchall()
            count = cur.execute(
                "SELECT count(*) AS n FROM saved_searches WHERE user_id = %s", (user_id,)
            ).fetchone()
        return _page([_search_from_row(r) for r in rows], int(count["n"]) if count else 0, page)

    def delete(self, user_id: uuid.UUID, search_id: uuid.UUID) -> bool:
        """Delete the search (its hits go with it)."""
        with translate_errors():
            cur = self._conn.execute(
                "DELETE FROM saved_searches WHERE id = %s AND user_id = %s", (search_id, user_id)
            )
        return cur.rowcount > 0

    def every(self, *, after: uuid.UUID | None, limit: int) -> Sequence[SavedSearch]:
        """All searches by ascending id after ``after``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT * FROM saved_searches WHERE (%s::uuid IS NULL OR id > %s::uuid) "
                "ORDER BY id LIMIT %s",
                (after, after, limit),
            ).fetchall()
        return [_search_from_row(r) for r in rows]

    def mark_checked(self, search_id: uuid.UUID, at: datetime) -> None:
        """Record the time of the last run."""
        with translate_errors():
            self._conn.execute(
                "UPDATE saved_searches SET checked_at = %s WHERE id = %s", (at, search_id)
            )

    def add_hits(self, hits: Sequence[SavedSearchHit]) -> int:
        """Insert new hits (existing ones and hits of deleted searches or jobs are skipped)."""
        if not hits:
            return 0
        with translate_errors():
            cur = self._conn.execute(
                "INSERT INTO saved_search_hits (search_id, job_id, found_at, score) "
                "SELECT h.search_id, h.job_id, h.found_at, h.score "
                "FROM unnest(%s::uuid[], %s::uuid[], %s::timestamptz[], %s::float8[]) "
                "AS h(search_id, job_id, found_at, score) "
                "WHERE EXISTS (SELECT 1 FROM saved_searches s WHERE s.id = h.search_id) "
                "AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = h.job_id) "
                "ON CONFLICT (search_id, job_id) DO NOTHING",
                (
                    [h.search_id for h in hits],
                    [h.job_id for h in hits],
                    [h.found_at for h in hits],
                    [h.score for h in hits],
                ),
            )
        return max(cur.rowcount, 0)

    def hits(
        self, user_id: uuid.UUID, search_id: uuid.UUID, page: PageRequest
    ) -> Page[SavedSearchHit]:
        """The search's hits, newest first, then by job id."""
        self.get(user_id, search_id)
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT * FROM saved_search_hits WHERE search_id = %s "
                "ORDER BY found_at DESC, job_id::text LIMIT %s OFFSET %s",
                (search_id, page.per_page, page.offset),
            ).fetchall()
            count = cur.execute(
                "SELECT count(*) AS n FROM saved_search_hits WHERE search_id = %s", (search_id,)
            ).fetchone()
        items = [
            SavedSearchHit(r["search_id"], r["job_id"], r["found_at"], r["score"]) for r in rows
        ]
        return _page(items, int(count["n"]) if count else 0, page)

    def hit_counts(self, search_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Hits per search."""
        if not search_ids:
            return {}
        with translate_errors():
            rows = self._conn.execute(
                "SELECT search_id, count(*) FROM saved_search_hits WHERE search_id = ANY(%s) "
                "GROUP BY search_id",
                (list(search_ids),),
            ).fetchall()
        return {row[0]: int(row[1]) for row in rows}


__all__ = [
    "PostgresCandidateProfileRepository",
    "PostgresFeedbackRepository",
    "PostgresResumeRepository",
    "PostgresSavedSearchRepository",
]
