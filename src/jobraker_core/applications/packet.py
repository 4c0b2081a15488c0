"""The application packet: the résumé version, the cover letter and the screening answers.

Every answer says where it came from (``Provenance``): the person's profile (``profile_fact``),
their saved answers keyed by topic (``answer_bank``), or ``generated`` from the profile's text.
Questions on a ``SENSITIVE`` topic (work authorization, sponsorship, years of experience, salary
expectations, relocation, demographics) are never generated: when neither the profile nor the
answer bank answers one, it stays an *open question* and the application waits in
``needs_user`` until the person answers it.

``Packet.digest()`` is the SHA-256 of the packet's canonical JSON: the person approves that exact
hash, and any change to the résumé, the letter or an answer voids the approval.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.applications.submission import Applicant
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold
from jobraker_core.matching.candidate import YearMonth

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from jobraker_core.accounts.profile import Profile
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.candidate import CandidateProfile
    from jobraker_core.matching.resume import Resume

MAX_ANSWER: Final = 2_000
MAX_QUESTION: Final = 500
MAX_LETTER: Final = 10_000
MAX_QUESTIONS: Final = 30


class Provenance(enum.StrEnum):
    """Where an answer came from."""

    PROFILE_FACT = "profile_fact"
    ANSWER_BANK = "answer_bank"
    GENERATED = "generated"


class Topic(enum.StrEnum):
    """What a screening question is about (the answer bank is keyed by topic, not wording)."""

    WORK_AUTHORIZATION = "work_authorization"
    SPONSORSHIP = "sponsorship"
    YEARS_EXPERIENCE = "years_experience"
    SALARY_EXPECTATION = "salary_expectation"
    RELOCATION = "relocation"
    DEMOGRAPHIC = "demographic"
    NOTICE_PERIOD = "notice_period"
    MOTIVATION = "motivation"
    OTHER = "other"


SENSITIVE: Final = frozenset(
    {
        Topic.WORK_AUTHORIZATION,
        Topic.SPONSORSHIP,
        Topic.YEARS_EXPERIENCE,
        Topic.SALARY_EXPECTATION,
        Topic.RELOCATION,
        Topic.DEMOGRAPHIC,
    }
)
"""Topics whose answers are never generated."""

_TOPIC_WORDS: Final = (
    (Topic.SPONSORSHIP, ("sponsor", "visa")),
    (Topic.WORK_AUTHORIZATION, ("authori", "right to work", "legally", "eligible to work")),
    (Topic.YEARS_EXPERIENCE, ("years of experience", "how many years", "years experience")),
    (Topic.SALARY_EXPECTATION, ("salary", "compensation", "pay expectation", "expected pay")),
    (Topic.RELOCATION, ("relocat", "move to")),
    (
        Topic.DEMOGRAPHIC,
        (
            "gender",
            "race",
            "ethnic",
            "veteran",
            "disabilit",
            "sexual orientation",
            "pronoun",
            "date of birth",
            "age ",
        ),
    ),
    (Topic.NOTICE_PERIOD, ("notice period", "start date", "when can you start", "available to")),
    (Topic.MOTIVATION, ("why do you want", "why are you interested", "motivation")),
)


def classify(question: str) -> Topic:
    """The topic of a screening question, by its wording (``OTHER`` when nothing fits)."""
    text = f" {fold(question)} "
    for topic, words in _TOPIC_WORDS:
        if any(word in text for word in words):
            return topic
    return Topic.OTHER


def _text(value: str, field: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def _question(value: str) -> str:
    return _text(value, "question", MAX_QUESTION)


def _answer(value: str) -> str:
    return _text(value, "answer", MAX_ANSWER)


@attrs.frozen
class Answer:
    """One screening answer with its provenance."""

    question: str = attrs.field(converter=_question)
    answer: str = attrs.field(converter=_answer)
    topic: Topic
    provenance: Provenance


@attrs.frozen
class BankAnswer:
    """An answer the person saved for a topic, reused for every question on it."""

    user_id: uuid.UUID
    topic: Topic
    answer: str = attrs.field(converter=_answer)
    updated_at: datetime


def _letter(value: str) -> str:
    if len(value) > MAX_LETTER:
        raise InvalidInput(f"the cover letter is longer than {MAX_LETTER}", field="cover_letter")
    return value


@attrs.frozen
class Packet:
    """What would be sent for one application, exactly.

    ``open_questions`` are the questions nobody may answer but the person; while there are any,
    the packet cannot be approved.
    """

    applicant: Applicant
    resume_id: uuid.UUID | None
    resume_version: int | None
    resume_filename: str
    resume_text: str
    cover_letter: str = attrs.field(converter=_letter)
    answers: tuple[Answer, ...] = ()
    open_questions: tuple[str, ...] = ()

    def canonical(self) -> str:
        """The packet as canonical JSON (sorted keys, no spaces): what the digest is taken of."""
        person = self.applicant
        document = {
            "applicant": [person.full_name, person.email, person.phone, person.location],
            "resume_id": None if self.resume_id is None else str(self.resume_id),
            "resume_version": self.resume_version,
            "resume_filename": self.resume_filename,
            "resume_text": self.resume_text,
            "cover_letter": self.cover_letter,
            "answers": [
                [a.question, a.answer, a.topic.value, a.provenance.value] for a in self.answers
            ],
            "open_questions": list(self.open_questions),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def digest(self) -> str:
        """The SHA-256 (hex) of the canonical packet; the person approves this exact value."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    @property
    def from_facts(self) -> bool:
        """Whether every answer comes from the person's facts (none generated, none open)."""
        return not self.open_questions and all(
            a.provenance is not Provenance.GENERATED for a in self.answers
        )

    def answered(self, question: str, answer: str, provenance: Provenance) -> Packet:
        """This packet with ``question`` (open or not) answered by the person."""
        asked = _question(question)
        topic = classify(asked)
        kept = tuple(a for a in self.answers if a.question != asked)
        return attrs.evolve(
            self,
            answers=(*kept, Answer(asked, answer, topic, provenance)),
            open_questions=tuple(q for q in self.open_questions if q != asked),
        )


# ----------------------------------------------------------------------------- building


def standard_questions(job: JobPosting) -> tuple[str, ...]:
    """The screening questions every application answers, phrased for ``job``."""
    country = (job.location.country_code or "").upper()
    where = f" in {country}" if country else ""
    questions = [
        f"Are you legally authorized to work{where}?",
        "Will you now or in the future require visa sponsorship?",
        "How many years of relevant experience do you have?",
        "What are your salary expectations?",
    ]
    if job.location.remote is None or job.location.remote.value != "remote":
        place = job.location.describe()
        questions.append(
            f"Are you willing to relocate to {place}?" if place else "Are you willing to relocate?"
        )
    return tuple(questions)


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _money(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


class PacketFacts:
    """The facts a packet is built from: profile, candidate profile, answer bank, the job."""

    def __init__(
        self,
        *,
        job: JobPosting,
        profile: Profile | None,
        candidate: CandidateProfile | None,
        bank: Mapping[Topic, BankAnswer],
        as_of: datetime,
    ) -> None:
        """Gather the facts (nothing is read later)."""
        self.job = job
        self.profile = profile
        self.candidate = candidate
        self.bank = bank
        self.as_of = as_of

    def fact(self, topic: Topic) -> str | None:  # noqa: PLR0911 - one answer per topic
        """The profile's answer on ``topic``, when it has one."""
        prefs = self.profile.preferences if self.profile is not None else None
        if topic is Topic.WORK_AUTHORIZATION and prefs is not None:
            country = self.job.location.country_code
            known = prefs.authorized_in(country) if country else None
            return None if known is None else _yes_no(known)
        if topic is Topic.SPONSORSHIP and prefs is not None and prefs.needs_sponsorship is not None:
            return _yes_no(prefs.needs_sponsorship)
        if (
            topic is Topic.RELOCATION
            and prefs is not None
            and prefs.willing_to_relocate is not None
        ):
            return _yes_no(prefs.willing_to_relocate)
        if topic is Topic.SALARY_EXPECTATION and prefs is not None and prefs.salary_floor:
            floor = prefs.salary_floor
            return f"{_money(floor.amount)} {floor.currency} per {floor.period.value}"
        if (
            topic is Topic.NOTICE_PERIOD
            and prefs is not None
            and prefs.notice_period_days is not None
        ):
            return f"{prefs.notice_period_days} days' notice"
        if topic is Topic.YEARS_EXPERIENCE and self.candidate is not None:
            years = self.candidate.years_experience(YearMonth.of(self.as_of))
            return str(round(years)) if years >= 1 else None
        return None

    def generated(self, topic: Topic) -> str:
        """A short answer written from the profile's text, for a non-sensitive topic."""
        headline = self.profile.headline if self.profile is not None else None
        skills = [s.name for s in self.candidate.skills[:5]] if self.candidate else []
        parts = [f"I am {headline}." if headline else ""]
        if topic is Topic.MOTIVATION:
            parts.append(f"The {self.job.title} role matches what I do best.")
        if skills:
            parts.append(f"My main skills are {', '.join(skills)}.")
        text = " ".join(p for p in parts if p)
        return text or "Please see my résumé and cover letter."

    def answer(self, question: str) -> Answer | str:
        """The answer to ``question``, or the question back when only the person may answer it."""
        topic = classify(question)
        saved = self.bank.get(topic)
        if saved is not None:
            return Answer(question, saved.answer, topic, Provenance.ANSWER_BANK)
        fact = self.fact(topic)
        if fact is not None:
            return Answer(question, fact, topic, Provenance.PROFILE_FACT)
        if topic in SENSITIVE:
            return question
        return Answer(question, self.generated(topic), topic, Provenance.GENERATED)


def cover_letter(facts: PacketFacts, name: str) -> str:
    """A cover letter from a template, every sentence grounded in the person's profile."""
    job = facts.job
    lines = [f"Dear hiring team{' at ' + job.company if job.company else ''},", ""]
    body = [f"I am applying for the {job.title} position."]
    headline = facts.profile.headline if facts.profile is not None else None
    if headline:
        body.append(f"I am {headline}.")
    years = facts.fact(Topic.YEARS_EXPERIENCE)
    if years is not None:
        body.append(f"I have {years} years of professional experience.")
    if facts.candidate is not None:
        wanted = fold(f"{job.title} {job.description}")
        shared = [s.name for s in facts.candidate.skills if fold(s.name) in wanted][:6]
        if shared:
            body.append(f"My experience includes {', '.join(shared)}, which this role asks for.")
    body.append("My résumé is attached; I would welcome the chance to talk.")
    lines.extend([" ".join(body), "", "Kind regards,", name])
    return "\n".join(lines)


def build_packet(
    facts: PacketFacts,
    *,
    resume: Resume,
    applicant: Applicant,
    questions: Sequence[str] = (),
) -> Packet:
    """The packet for ``facts.job``: résumé, grounded letter, each question answered or open."""
    asked = _distinct([*standard_questions(facts.job), *questions])
    if len(asked) > MAX_QUESTIONS:
        raise InvalidInput(f"at most {MAX_QUESTIONS} questions", field="questions")
    answers: list[Answer] = []
    open_questions: list[str] = []
    for question in asked:
        result = facts.answer(question)
        if isinstance(result, Answer):
            answers.append(result)
        else:
            open_questions.append(result)
    return Packet(
        applicant=applicant,
        resume_id=resume.id,
        resume_version=resume.version,
        resume_filename=resume.filename or f"resume-v{resume.version}.txt",
        resume_text=resume.text,
        cover_letter=cover_letter(facts, applicant.full_name),
        answers=tuple(answers),
        open_questions=tuple(open_questions),
    )


def _distinct(questions: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for raw in questions:
        question = _question(raw)
        key = re.sub(r"\s+", " ", fold(question))
        if key not in seen:
            seen.add(key)
            kept.append(question)
    return kept
