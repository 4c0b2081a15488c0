"""The local drafter: tailored résumés and cover letters made only of the person's own content.

It needs no model. A **tailored résumé** reorders and selects what the person's profile already
says: the roles most relevant to the job first (those whose text names the skills the job asks
for, required ones weighing most, then those whose title shares the job's words, then the most
recent), in each role the bullets that name those skills first, and the skills the job asks for
first. It never writes a word of its own beyond headings. A **cover letter** is a template whose
every sentence is filled from facts: the job's title and company (facts of the job), the most
relevant role, the skills the job asks for that the person has, the years of experience, the
first education entry and the languages.

``facts_text`` is the whole profile written out (what a language model is given as its facts).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.documents.model import DocumentKind
from jobraker_core.documents.text import words

if TYPE_CHECKING:
    from jobraker_core.documents.facts import FactSheet
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.analysis import JobAnalysis
    from jobraker_core.matching.candidate import CandidateProfile, Role, YearMonth
    from jobraker_core.matching.skills import SkillExtractor

MAX_ROLES: Final = 6
MAX_BULLETS: Final = 6
MAX_SKILLS: Final = 30
REQUIRED_WEIGHT: Final = 3
UNSTATED_WEIGHT: Final = 2
NICE_WEIGHT: Final = 1
TITLE_WEIGHT: Final = 2.0
_BULLET: Final = re.compile(r"^\s*(?:[-*\u2022\u00b7\u2013]|\d{1,2}[.)])\s+")
_TITLE_FILLER: Final = frozenset({"a", "an", "the", "of", "and", "for", "m", "w", "d", "f"})


@attrs.frozen
class DraftBasis:
    """Everything a document is drafted from: the person's profile and facts, the job."""

    profile: CandidateProfile
    job: JobPosting
    analysis: JobAnalysis
    facts: FactSheet
    as_of: YearMonth


def document_title(kind: DocumentKind, job: JobPosting) -> str:
    """Such as "Cover letter for Data Engineer at Acme"."""
    place = f" at {job.company}" if job.company else ""
    return f"{kind.label} for {job.title}{place}"


def _period(role: Role) -> str | None:
    if role.period is None:
        return None
    end = str(role.period.end) if role.period.end is not None else "present"
    return f"{role.period.start} to {end}"


def _lines(description: str) -> list[str]:
    return [
        _BULLET.sub("", line).strip()
        for line in description.split("\n")
        if _BULLET.sub("", line).strip()
    ]


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


class LocalDrafter:
    """Drafts documents from the person's own content (see the module docstring)."""

    def __init__(self, extractor: SkillExtractor) -> None:
        """Find skills in the person's roles with ``extractor``."""
        self._extractor = extractor

    def draft(self, kind: DocumentKind, basis: DraftBasis) -> str:
        """The document of ``kind`` for ``basis``."""
        if kind is DocumentKind.TAILORED_RESUME:
            return self.tailored_resume(basis)
        return self.cover_letter(basis)

    # ------------------------------------------------------------------------- relevance

    @staticmethod
    def _weights(analysis: JobAnalysis) -> dict[str, int]:
        weights: dict[str, int] = {}
        for skill in analysis.skills:
            if skill.skill_id is None:
                continue
            weight = {True: REQUIRED_WEIGHT, None: UNSTATED_WEIGHT, False: NICE_WEIGHT}[
                skill.required
            ]
            weights[skill.skill_id] = max(weight, weights.get(skill.skill_id, 0))
        return weights

    def _skill_ids(self, text: str) -> list[str]:
        seen: list[str] = []
        for mention in self._extractor.extract(text):
            if mention.skill.id not in seen:
                seen.append(mention.skill.id)
        return seen

    def _ranked_roles(self, basis: DraftBasis) -> list[Role]:
        weights = self._weights(basis.analysis)
        job_words = set(words(basis.job.title)) - _TITLE_FILLER
        ranked: list[tuple[float, int, int, Role]] = []
        for number, role in enumerate(basis.profile.roles):
            ids = self._skill_ids(f"{role.title}\n{role.description}")
            score = float(sum(weights.get(skill_id, 0) for skill_id in ids))
            title_words = set(words(role.title)) - _TITLE_FILLER
            if job_words and title_words:
                score += TITLE_WEIGHT * len(job_words & title_words) / len(job_words)
            recency = 0
            if role.period is not None:
                recency = (role.period.end or basis.as_of).index
            ranked.append((score, recency, -number, role))
        ranked.sort(key=lambda item: (item[0], item[1], item[2]), reverse=True)
        return [item[3] for item in ranked]

    def _ranked_bullets(self, role: Role, weights: dict[str, int]) -> list[str]:
        lines = _lines(role.description)
        scored = [
            (sum(weights.get(i, 0) for i in self._skill_ids(line)), -number, line)
            for number, line in enumerate(lines)
        ]
        scored.sort(reverse=True)
        return [line for _, _, line in scored[:MAX_BULLETS]]

    def _ranked_skills(self, basis: DraftBasis) -> list[str]:
        weights = self._weights(basis.analysis)
        scored = [
            (weights.get(skill.skill_id or "", 0), -number, skill.name)
            for number, skill in enumerate(basis.profile.skills)
        ]
        scored.sort(reverse=True)
        return [name for _, _, name in scored[:MAX_SKILLS]]

    def _matching_skill_names(self, basis: DraftBasis, ids: list[str] | None = None) -> list[str]:
        """Names of the skills the job asks for that the person has, required ones first."""
        weights = self._weights(basis.analysis)
        mine = {skill.skill_id: skill.name for skill in basis.profile.skills if skill.skill_id}
        wanted = ids if ids is not None else list(weights)
        chosen = [i for i in wanted if i in mine and i in weights]
        chosen.sort(key=lambda i: -weights[i])
        return [mine[i] for i in chosen]

    # ------------------------------------------------------------------------- documents

    def tailored_resume(self, basis: DraftBasis) -> str:
        """The person's résumé, most relevant content for the job first, nothing added."""
        profile = basis.profile
        weights = self._weights(basis.analysis)
        out: list[str] = []
        if profile.summary:
            out += ["## Summary", profile.summary.strip(), ""]
        skills = self._ranked_skills(basis)
        if skills:
            out += ["## Skills", ", ".join(skills), ""]
        roles = self._ranked_roles(basis)[:MAX_ROLES]
        if roles:
            out.append("## Experience")
            for role in roles:
                heading = role.title
                if role.company:
                    heading += f", {role.company}"
                period = _period(role)
                if period:
                    heading += f" ({period})"
                out.append(f"### {heading}")
                out.extend(f"- {line}" for line in self._ranked_bullets(role, weights))
            out.append("")
        if profile.education:
            out.append("## Education")
            out.extend(f"- {entry.text}" for entry in profile.education)
            out.append("")
        if profile.languages:
            out.append("## Languages")
            out.extend(
                f"- {lang.name}" + (f" ({lang.level})" if lang.level else "")
                for lang in profile.languages
            )
            out.append("")
        return "\n".join(out).strip() + "\n"

    def cover_letter(self, basis: DraftBasis) -> str:  # noqa: C901 - one sentence per fact
        """A letter for the job whose every sentence is filled from facts."""
        job, profile = basis.job, basis.profile
        at_company = f" at {job.company}" if job.company else ""
        paragraphs = [
            "Dear Hiring Manager,",
            f"I am applying for the {job.title} position{at_company}.",
        ]
        body: list[str] = []
        roles = self._ranked_roles(basis)
        if roles:
            role = roles[0]
            sentence = f"My most relevant experience is my role as {role.title}"
            if role.company:
                sentence += f" at {role.company}"
            if role.period is not None:
                sentence += (
                    f", from {role.period.start} to {role.period.end}"
                    if role.period.end is not None
                    else f", since {role.period.start}"
                )
            body.append(sentence + ".")
            used = self._matching_skill_names(
                basis, self._skill_ids(f"{role.title}\n{role.description}")
            )
            if used:
                body.append(f"In that role I worked with {_join(used)}.")
            bullets = self._ranked_bullets(role, self._weights(basis.analysis))
            if bullets:
                body.append(f"Highlights of that role: {bullets[0].rstrip('.')}.")
        skills = self._matching_skill_names(basis)
        if skills:
            body.append(f"Of the skills your posting asks for, I bring {_join(skills[:8])}.")
        if any(role.period is not None for role in profile.roles):
            years = math.floor(profile.years_experience(basis.as_of))
            if years >= 1:
                body.append(
                    f"I have {years} year{'s' if years != 1 else ''} of professional experience."
                )
        if body:
            paragraphs.append(" ".join(body))
        closing = _background(profile)
        if closing:
            paragraphs.append(closing)
        team = job.company or "your team"
        paragraphs.append(
            f"I would welcome the chance to discuss how I can contribute to {team}. "
            "Thank you for considering my application."
        )
        paragraphs.append("Kind regards")
        return "\n\n".join(paragraphs) + "\n"


def _background(profile: CandidateProfile) -> str:
    """The letter's sentences on education and languages ("" when there is neither)."""
    closing: list[str] = []
    if profile.education:
        closing.append(f"My education: {profile.education[0].text.rstrip('.')}.")
    if profile.languages:
        spoken = [
            lang.name + (f" ({lang.level})" if lang.level else "") for lang in profile.languages
        ]
        closing.append(f"I speak {_join(spoken)}.")
    return " ".join(closing)


def facts_text(profile: CandidateProfile) -> str:
    """The whole profile written out, every role and bullet: what a model is given as facts."""
    out: list[str] = []
    if profile.summary:
        out += ["Summary:", profile.summary.strip()]
    if profile.skills:
        out.append("Skills: " + ", ".join(skill.name for skill in profile.skills))
    for role in profile.roles:
        line = f"Role: {role.title}"
        if role.company:
            line += f" | employer: {role.company}"
        period = _period(role)
        if period:
            line += f" | {period}"
        out.append(line)
        out.extend(f"- {bullet}" for bullet in _lines(role.description))
    out.extend(f"Education: {entry.text}" for entry in profile.education)
    out.extend(
        f"Language: {lang.name}" + (f" ({lang.level})" if lang.level else "")
        for lang in profile.languages
    )
    out.extend(f"Location: {place}" for place in profile.locations)
    return "\n".join(out)
