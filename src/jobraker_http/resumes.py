"""Résumés and the candidate profile read from them.

Every route needs a signed-in user and works on that user's data only (another user's résumé id
answers 404).

- ``POST /api/v1/users/resumes/``: a file (``multipart/form-data``, field ``file``: PDF, DOCX or
  plain text, at most 5 MiB, told apart by content) or pasted text (JSON ``{"text": ...}``).
  Answers 201 with the stored version and the profile parsed from it; an empty, image-only,
  unreadable or unsupported file answers 422 saying why, and nothing is stored.
- ``GET /api/v1/users/resumes/`` and ``GET /api/v1/users/resumes/{id}/``: the versions.
- ``GET|PUT /api/v1/users/candidate-profile/``: review and edit the profile.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request, Router, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import JSONBody, Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.errors import InvalidInput
from jobraker_core.matching.candidate import CandidateProfile, YearMonth
from jobraker_core.matching.resume import MAX_RESUME_BYTES, Resume
from jobraker_core.matching.use_cases import (
    EducationInput,
    GetCandidateProfile,
    GetResume,
    LanguageInput,
    ListResumes,
    ReplaceCandidateProfile,
    ReplaceCandidateProfileCommand,
    RoleInput,
    UploadResume,
    UploadResumeCommand,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_user
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.matching import EvidenceOut, evidence_to_wire
from jobraker_http.providers import container_provider

UPLOAD_BODY_LIMIT: Final = MAX_RESUME_BYTES + 512 * 1024
"""The request body limit of the upload route: the file's limit plus room for multipart framing."""
_Text = Annotated[str, msgspec.Meta(max_length=300)]
_Month = Annotated[str, msgspec.Meta(pattern=r"^\d{4}(-\d{2})?$", description="YYYY-MM")]


# ----------------------------------------------------------------------------- wire


class ResumeOut(msgspec.Struct, kw_only=True):
    """One uploaded résumé version (``text`` is what was read from the file)."""

    id: uuid.UUID
    version: int
    filename: str | None
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    text: str | None = None


def resume_to_wire(resume: Resume, *, with_text: bool) -> ResumeOut:
    """Return the wire form of a résumé version."""
    return ResumeOut(
        id=resume.id,
        version=resume.version,
        filename=resume.filename,
        media_type=resume.media_type,
        size=resume.size,
        sha256=resume.sha256,
        uploaded_at=resume.uploaded_at,
        text=resume.text if with_text else None,
    )


class SkillOut(msgspec.Struct, kw_only=True):
    """A skill: canonical (``skill_id``) or as written (``skill_id`` null)."""

    name: str
    skill_id: str | None
    years: float | None
    evidence: EvidenceOut | None


class RoleOut(msgspec.Struct, kw_only=True):
    """A role held (``end`` null: to the present)."""

    title: str
    company: str | None
    start: str | None
    end: str | None
    years: float
    occupation: str | None
    occupation_code: str | None
    seniority: str | None
    description: str
    evidence: EvidenceOut | None


class EducationOut(msgspec.Struct, kw_only=True):
    """A qualification."""

    text: str
    level: str | None
    field_of_study: str | None
    year: int | None
    evidence: EvidenceOut | None


class LanguageOut(msgspec.Struct, kw_only=True):
    """A language spoken."""

    name: str
    level: str | None
    evidence: EvidenceOut | None


class CandidateProfileOut(msgspec.Struct, kw_only=True):
    """What matching knows about the caller, and where each fact came from."""

    resume_id: uuid.UUID | None
    edited: bool
    updated_at: datetime | None
    years_experience: float
    seniority: str | None
    skills: list[SkillOut]
    roles: list[RoleOut]
    education: list[EducationOut]
    languages: list[LanguageOut]
    locations: list[str]
    summary: str | None


def profile_to_wire(profile: CandidateProfile, now: datetime) -> CandidateProfileOut:
    """Return the wire form of a candidate profile, years counted up to ``now``."""
    as_of = YearMonth.of(now)
    seniority = profile.seniority(as_of)
    return CandidateProfileOut(
        resume_id=profile.resume_id,
        edited=profile.edited,
        updated_at=profile.updated_at,
        years_experience=profile.years_experience(as_of),
        seniority=seniority.value if seniority else None,
        skills=[
            SkillOut(
                name=s.name,
                skill_id=s.skill_id,
                years=s.years(as_of),
                evidence=evidence_to_wire(s.evidence),
            )
            for s in profile.skills
        ],
        roles=[
            RoleOut(
                title=r.title,
                company=r.company,
                start=str(r.period.start) if r.period else None,
                end=str(r.period.end) if r.period and r.period.end else None,
                years=r.years(as_of),
                occupation=r.occupation,
                occupation_code=r.occupation_code,
                seniority=r.seniority.value if r.seniority else None,
                description=r.description,
                evidence=evidence_to_wire(r.evidence),
            )
            for r in profile.roles
        ],
        education=[
            EducationOut(
                text=e.text,
                level=e.level.value if e.level else None,
                field_of_study=e.field_of_study,
                year=e.year,
                evidence=evidence_to_wire(e.evidence),
            )
            for e in profile.education
        ],
        languages=[
            LanguageOut(name=lang.name, level=lang.level, evidence=evidence_to_wire(lang.evidence))
            for lang in profile.languages
        ],
        locations=list(profile.locations),
        summary=profile.summary,
    )


class UploadedOut(msgspec.Struct, kw_only=True):
    """The stored version and the profile parsed from it."""

    resume: ResumeOut
    profile: CandidateProfileOut


class UploadedEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around an upload."""

    success: Literal[True]
    data: UploadedOut
    meta: ItemMeta


class ResumeEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one version."""

    success: Literal[True]
    data: ResumeOut
    meta: ItemMeta


class ResumeListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of versions."""

    success: Literal[True]
    data: list[ResumeOut]
    meta: ListMeta


class CandidateProfileEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the candidate profile."""

    success: Literal[True]
    data: CandidateProfileOut
    meta: ItemMeta


class _In(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of input objects: unknown fields are refused."""


class ResumeTextIn(_In):
    """A résumé pasted as text."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)]
    filename: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class RoleIn(_In):
    """A role; ``start``/``end`` as ``YYYY-MM`` (``end`` null or absent: to the present)."""

    title: _Text
    company: _Text | None = None
    start: _Month | None = None
    end: _Month | None = None
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class EducationIn(_In):
    """A qualification; ``level``: school, certificate, associate, bachelor, master, doctorate."""

    text: _Text
    level: (
        Literal["school", "certificate", "associate", "bachelor", "master", "doctorate"] | None
    ) = None
    field_of_study: _Text | None = None
    year: Annotated[int, msgspec.Meta(ge=1950, le=2100)] | None = None


class LanguageIn(_In):
    """A language and its level (``native``, ``fluent``, ``B2``, ...)."""

    name: Annotated[str, msgspec.Meta(max_length=100)]
    level: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class CandidateProfileIn(_In):
    """The reviewed profile; it replaces the stored one (fields left out are cleared)."""

    skills: Annotated[list[_Text], msgspec.Meta(max_length=300)] = msgspec.field(
        default_factory=list
    )
    roles: Annotated[list[RoleIn], msgspec.Meta(max_length=60)] = msgspec.field(
        default_factory=list
    )
    education: Annotated[list[EducationIn], msgspec.Meta(max_length=40)] = msgspec.field(
        default_factory=list
    )
    languages: Annotated[list[LanguageIn], msgspec.Meta(max_length=40)] = msgspec.field(
        default_factory=list
    )
    locations: Annotated[list[_Text], msgspec.Meta(max_length=40)] = msgspec.field(
        default_factory=list
    )
    summary: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


# ----------------------------------------------------------------------------- routes


async def _upload_content(request: Request[Any, Any, Any]) -> tuple[bytes, str | None]:
    """The file (or pasted text) the upload request carries, and its name."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the résumé as the form field 'file'", field="file")
        content = await upload.read()
        return content, upload.filename or None
    if media in {"application/json", ""}:
        raw = await request.body()
        try:
            body = msgspec.json.decode(raw, type=ResumeTextIn)
        except msgspec.ValidationError as error:
            raise InvalidInput(f"body: {error}", field="text") from None
        except msgspec.DecodeError:
            raise InvalidInput("the body is not valid JSON", field="body") from None
        return body.text.encode("utf-8"), body.filename
    raise InvalidInput(
        "send a file as multipart/form-data (field 'file') or text as JSON {\"text\": ...}",
        field="content-type",
    )


@post(
    "/resumes",
    summary="Upload my résumé",
    description="A PDF, DOCX or plain-text file as `multipart/form-data` (field `file`, at most "
    "5 MiB; the format is told from the content, not the name), or pasted text as JSON "
    '`{"text": "..."}`. Keeps it as a new version and replaces the candidate profile with '
    "the one read from it. An empty, image-only (scanned), unreadable or unsupported file, or "
    "one from which nothing can be read, answers 422 saying why; nothing is stored then.",
    request_max_body_size=UPLOAD_BODY_LIMIT,
    responses=problem_responses(401, 413, 422, 503),
)
async def resume_upload(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    upload_resume: NamedDependency[UploadResume],
    now: NamedDependency[datetime],
) -> UploadedEnvelope:
    """Store the résumé and its profile."""
    content, filename = await _upload_content(request)
    command = UploadResumeCommand(user_id=principal.user_id, content=content, filename=filename)
    uploaded = await sync_to_thread(upload_resume, command)
    return UploadedEnvelope(
        success=True,
        data=UploadedOut(
            resume=resume_to_wire(uploaded.resume, with_text=False),
            profile=profile_to_wire(uploaded.profile, now),
        ),
        meta=ItemMeta(),
    )


@get(
    "/resumes",
    sync_to_thread=True,
    summary="My résumé versions",
    responses=problem_responses(401, 503),
)
def resume_list(
    principal: NamedDependency[Principal],
    list_resumes: NamedDependency[ListResumes],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> ResumeListEnvelope:
    """Return one page of the caller's versions, newest first (without their text)."""
    found = list_resumes(principal.user_id, clamp_page(page, per_page))
    return ResumeListEnvelope(
        success=True,
        data=[resume_to_wire(r, with_text=False) for r in found.items],
        meta=list_meta(found),
    )


@get(
    "/resumes/{resume_id:str}",
    sync_to_thread=True,
    summary="One of my résumé versions",
    responses=problem_responses(401, 404, 503),
)
def resume_detail(
    resume_id: Annotated[str, Parameter(description="The version's id (a UUID).")],
    principal: NamedDependency[Principal],
    get_resume: NamedDependency[GetResume],
) -> ResumeEnvelope:
    """Return the version with its text (404 for another user's)."""
    resume = get_resume(principal.user_id, parse_id(resume_id, "résumé"))
    return ResumeEnvelope(
        success=True, data=resume_to_wire(resume, with_text=True), meta=ItemMeta()
    )


@get(
    "/candidate-profile",
    sync_to_thread=True,
    summary="My candidate profile",
    description="404 until a résumé was uploaded (or a profile saved).",
    responses=problem_responses(401, 404, 503),
)
def candidate_profile_read(
    principal: NamedDependency[Principal],
    get_candidate_profile: NamedDependency[GetCandidateProfile],
    now: NamedDependency[datetime],
) -> CandidateProfileEnvelope:
    """Return the caller's candidate profile."""
    profile = get_candidate_profile(principal.user_id)
    return CandidateProfileEnvelope(
        success=True, data=profile_to_wire(profile, now), meta=ItemMeta()
    )


@put(
    "/candidate-profile",
    sync_to_thread=True,
    summary="Edit my candidate profile",
    description="Replaces the profile with the body (what it leaves out is cleared). Skill "
    "names are matched to the skills taxonomy; facts kept from the résumé keep their evidence, "
    "new ones are marked as entered by you.",
    responses=problem_responses(401, 422, 503),
)
def candidate_profile_replace(
    data: JSONBody[CandidateProfileIn],
    principal: NamedDependency[Principal],
    replace_candidate_profile: NamedDependency[ReplaceCandidateProfile],
    now: NamedDependency[datetime],
) -> CandidateProfileEnvelope:
    """Store the reviewed profile."""
    command = ReplaceCandidateProfileCommand(
        user_id=principal.user_id,
        skills=tuple(data.skills),
        roles=tuple(
            RoleInput(r.title, r.company, r.start, r.end, r.description) for r in data.roles
        ),
        education=tuple(
            EducationInput(e.text, e.level, e.field_of_study, e.year) for e in data.education
        ),
        languages=tuple(LanguageInput(lang.name, lang.level) for lang in data.languages),
        locations=tuple(data.locations),
        summary=data.summary,
    )
    profile = replace_candidate_profile(command)
    return CandidateProfileEnvelope(
        success=True, data=profile_to_wire(profile, now), meta=ItemMeta()
    )


def resumes_router() -> Router:
    """The résumé and candidate-profile routes under ``/api/v1/users``."""
    return Router(
        path="/users",
        route_handlers=[
            resume_upload,
            resume_list,
            resume_detail,
            candidate_profile_read,
            candidate_profile_replace,
        ],
        tags=["résumés"],
        guards=[requires_user],
        dependencies={
            name: container_provider(name)
            for name in (
                "upload_resume",
                "list_resumes",
                "get_resume",
                "get_candidate_profile",
                "replace_candidate_profile",
            )
        },
    )
