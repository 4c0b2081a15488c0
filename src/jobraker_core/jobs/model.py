"""The jobs domain: postings and everything that finds, de-duplicates and brings them in.

That is the postings, where they came from, the canonical key that de-duplicates them, the
queries that search them and the ingestion runs that bring them in.
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, TypeVar

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.salary import Salary
from jobraker_core.jobs.text import fold, one_line, to_plain_text

MAX_TITLE_LENGTH: Final = 300
MAX_DESCRIPTION_LENGTH: Final = 100_000
MAX_FIELD_LENGTH: Final = 500
MAX_URL_LENGTH: Final = 2_000
SUMMARY_LENGTH: Final = 280


class RemoteMode(enum.StrEnum):
    """Where the work happens."""

    ON_SITE = "on_site"
    HYBRID = "hybrid"
    REMOTE = "remote"


class EmploymentType(enum.StrEnum):
    """The kind of contract offered."""

    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    CONTRACT = "contract"
    TEMPORARY = "temporary"
    INTERNSHIP = "internship"


_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _country(_: object, __: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and not _COUNTRY.match(value):
        raise InvalidInput(
            f"country {value!r} is not an ISO 3166 alpha-2 code such as GB", field="country"
        )


@attrs.frozen
class Location:
    """Where a job is: the posting's text, what could be parsed from it, and the remote mode.

    ``country_code`` is ISO 3166-1 alpha-2 in upper case (``GB``, ``US``).
    """

    display: str | None = None
    city: str | None = None
    region: str | None = None
    country_code: str | None = attrs.field(default=None, validator=_country)
    remote: RemoteMode | None = None

    def describe(self) -> str:
        """A short human description such as ``"London, GB (hybrid)"``."""
        place = self.display or ", ".join(p for p in (self.city, self.region) if p)
        if self.country_code and not re.search(rf"\b{self.country_code}\b", place):
            place = f"{place}, {self.country_code}" if place else self.country_code
        if self.remote is not None:
            place = f"{place} ({self.remote.value})" if place else self.remote.value
        return place


@attrs.frozen
class SourceRef:
    """One place a job was seen: the source, the id it has there, and its URL there."""

    source: str
    source_id: str
    url: str | None = None


def _non_empty(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{attribute.name} is required", field=attribute.name)


@attrs.frozen
class JobDraft:
    """A job as a source delivered it, already typed by the source adapter but not yet normalised.

    Text may still contain HTML. ``JobPosting.from_draft`` validates and normalises it.
    """

    source: str = attrs.field(validator=_non_empty)
    source_id: str = attrs.field(validator=_non_empty)
    title: str
    description: str
    company: str | None = None
    location: Location = Location()
    salary: Salary | None = None
    employment_type: EmploymentType | None = None
    category: str | None = None
    posted_at: datetime | None = None
    url: str | None = None
    apply_url: str | None = None


@attrs.frozen
class RejectedRecord:
    """A record a source could not turn into a job: where it was (``ref``) and why."""

    ref: str
    reason: str


# ----------------------------------------------------------------------------- canonical key

_LEGAL_SUFFIXES: Final = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "srl",
        "bv",
        "nv",
        "pty",
        "pvt",
        "lp",
        "llp",
        "the",
        "kg",
        "kgaa",
        "ug",
        "se",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "spa",
        "sarl",
        "ltda",
        "pte",
        "bhd",
        "sdn",
        "kk",
    }
)
_TITLE_NOISE: Final = re.compile(
    r"\((?:m|f|w|d|x|h|mwd|mfd|fmd|wmd|all genders?)(?:\s*/\s*[mfwdxh])*\)"
    r"|\b(?:m|f|w)/(?:m|f|w)/(?:d|x)\b",
    re.IGNORECASE,
)
KEY_VERSION: Final = "v1"
_V = TypeVar("_V")


def _join_initials(words: list[str]) -> list[str]:
    """Join runs of one-letter words, so ``L.L.C.`` and ``H & M`` read ``llc`` and ``hm``."""
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1:
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    return joined


def company_words(company: str | None) -> str:
    """A company name folded, initials joined, legal suffixes dropped ("Acme, L.L.C." -> "acme").

    The one normalisation of company names: the canonical key and matching both use it.
    """
    words = [w for w in _join_initials(fold(company or "").split()) if w not in _LEGAL_SUFFIXES]
    return " ".join(words)


def canonical_job_key(
    *, title: str, company: str | None, location: Location, description: str
) -> str:
    """The key under which postings count as the same job, whatever source or id they carry.

    It folds case, accents, punctuation, legal suffixes (``Inc``, ``GmbH``) and gender tags
    (``(m/f/d)``) out of company and title, and keys the place on city (else display text) and
    country, or ``remote``. When the company is unknown the description's opening is keyed too,
    so two anonymous postings with the same title are not merged on the title alone.
    """
    folded_title = fold(_TITLE_NOISE.sub(" ", title))
    folded_company = company_words(company) if company else ""
    if location.remote is RemoteMode.REMOTE:
        place = "remote"
    else:
        place = fold(location.city or location.display or "")
    parts = [
        KEY_VERSION,
        folded_company,
        folded_title,
        place,
        (location.country_code or "").lower(),
    ]
    if not folded_company:
        parts.append(fold(description)[:500])
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{KEY_VERSION}:{digest[:40]}"


# ----------------------------------------------------------------------------- the posting


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    cleaned = one_line(text)[:limit].rstrip()
    return cleaned or None


def _utc(moment: datetime | None) -> datetime | None:
    """Return an aware UTC instant; a naive one (a date-only feed field) is taken as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_url(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > MAX_URL_LENGTH:
        raise InvalidInput(f"{field} is longer than {MAX_URL_LENGTH} characters", field=field)
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", cleaned, re.IGNORECASE):
        raise InvalidInput(f"{field} {cleaned[:80]!r} is not an http(s) URL", field=field)
    return cleaned


class Change(enum.StrEnum):
    """What storing a draft did to the job it belongs to."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@attrs.frozen
class JobPosting:
    """A normalised, de-duplicated job: one per canonical ``key``, with every source it was seen at.

    ``source``/``source_id`` name the source that first delivered it; ``sources`` lists them all.
    Text fields are plain text. ``first_seen``/``last_seen`` are when Jobraker saw it, ``posted_at``
    when the source says it was posted.
    """

    id: uuid.UUID
    key: str
    source: str
    source_id: str
    title: str
    description: str
    company: str | None
    location: Location
    salary: Salary | None
    employment_type: EmploymentType | None
    category: str | None
    posted_at: datetime | None
    url: str | None
    apply_url: str | None
    first_seen: datetime
    last_seen: datetime
    sources: tuple[SourceRef, ...]

    @classmethod
    def from_draft(cls, draft: JobDraft, *, job_id: uuid.UUID, seen_at: datetime) -> JobPosting:
        """Validate and normalise a draft as a new posting, or raise ``InvalidInput`` saying why."""
        title = one_line(draft.title)
        if not title:
            raise InvalidInput("title is required", field="title")
        if len(title) > MAX_TITLE_LENGTH:
            raise InvalidInput(f"title is longer than {MAX_TITLE_LENGTH} characters", field="title")
        description = to_plain_text(draft.description)
        if not description:
            raise InvalidInput("description is required", field="description")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            description = description[:MAX_DESCRIPTION_LENGTH].rstrip()
        company = _clip(draft.company, MAX_FIELD_LENGTH)
        location = attrs.evolve(
            draft.location,
            display=_clip(draft.location.display, MAX_FIELD_LENGTH),
            city=_clip(draft.location.city, MAX_FIELD_LENGTH),
            region=_clip(draft.location.region, MAX_FIELD_LENGTH),
        )
        url = _check_url(draft.url, "url")
        apply_url = _check_url(draft.apply_url, "apply_url") or url
        key = canonical_job_key(
            title=title, company=company, location=location, description=description
        )
        return cls(
            id=job_id,
            key=key,
            source=draft.source,
            source_id=draft.source_id,
            title=title,
            description=description,
            company=company,
            location=location,
            salary=draft.salary,
            employment_type=draft.employment_type,
            category=_clip(draft.category, MAX_FIELD_LENGTH),
            posted_at=_utc(draft.posted_at),
            url=url,
            apply_url=apply_url,
            first_seen=seen_at,
            last_seen=seen_at,
            sources=(SourceRef(draft.source, draft.source_id, url),),
        )

    def summary(self, limit: int = SUMMARY_LENGTH) -> str:
        """The opening of the description on one line, cut at a word and marked with "…" if cut."""
        text = " ".join(self.description.split())
        if len(text) <= limit:
            return text
        cut = text[: limit - 1]
        if " " in cut:
            cut = cut[: cut.rindex(" ")]
        return cut.rstrip(" ,;:.-") + "…"

    def _content(self) -> tuple[object, ...]:
        return (
            self.title,
            self.description,
            self.company,
            self.location,
            self.salary,
            self.employment_type,
            self.category,
            self.posted_at,
            self.url,
            self.apply_url,
        )

    def absorb(self, seen: JobPosting, *, seen_at: datetime) -> tuple[JobPosting, Change]:
        """Fold a fresh sighting of this job into it and say whether its content changed.

        A sighting from the source that owns this job (same ``source`` and ``source_id``) replaces
        every field it states; a sighting from elsewhere (another source, or a re-post under a new
        id) only fills fields this job lacks. Either way a field the sighting leaves empty keeps
        its value, so re-ingesting feeds that hold one job twice never flip-flops it. The sighting's
        ``SourceRef`` is added (or its URL refreshed); a new source ref alone is not a content
        change, so such a sighting counts as a duplicate. Identity, key, owner and ``first_seen``
        never change; ``last_seen`` never moves back.
        """
        same_origin = (seen.source, seen.source_id) == (self.source, self.source_id)
        first, second = (seen, self) if same_origin else (self, seen)
        merged = attrs.evolve(
            self,
            title=first.title,
            description=first.description,
            company=_either(first.company, second.company),
            location=_merge_location(first.location, second.location),
            salary=_either(first.salary, second.salary),
            employment_type=_either(first.employment_type, second.employment_type),
            category=_either(first.category, second.category),
            posted_at=_either(first.posted_at, second.posted_at),
            url=_either(first.url, second.url),
            apply_url=_either(first.apply_url, second.apply_url),
            sources=_merge_refs(self.sources, seen.sources),
            last_seen=max(self.last_seen, seen_at),
        )
        changed = merged._content() != self._content()  # noqa: SLF001 - same class
        return merged, (Change.UPDATED if changed else Change.UNCHANGED)


def _either(preferred: _V | None, fallback: _V | None) -> _V | None:
    return preferred if preferred is not None else fallback


def _merge_location(preferred: Location, fallback: Location) -> Location:
    return Location(
        display=_either(preferred.display, fallback.display),
        city=_either(preferred.city, fallback.city),
        region=_either(preferred.region, fallback.region),
        country_code=_either(preferred.country_code, fallback.country_code),
        remote=_either(preferred.remote, fallback.remote),
    )


def _merge_refs(known: tuple[SourceRef, ...], seen: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
    """Known refs in order, each with the newest URL seen for it, then refs not known before."""
    refs = {(r.source, r.source_id): r for r in known}
    for ref in seen:
        old = refs.get((ref.source, ref.source_id))
        if old is None or (ref.url is not None and ref.url != old.url):
            refs[(ref.source, ref.source_id)] = ref
    return tuple(refs.values())


# ----------------------------------------------------------------------------- searching


class JobSort(enum.StrEnum):
    """Orders a job search can be returned in."""

    RELEVANCE = "relevance"
    DATE = "date"
    SALARY = "salary"


MAX_QUERY_LENGTH: Final = 500
MAX_RECENCY_DAYS: Final = 3650


@attrs.frozen
class JobQuery:
    """The filters of a job search; every filter given must hold for a job to match.

    ``text`` is full-text search over title, company and description (every word must appear).
    ``location`` matches the city, region or display text (case-insensitive substring).
    Salary bounds are annual figures in ``currency``; Jobraker does not convert currencies, so a
    salary filter matches only jobs paid in that currency and with a stated or estimated salary.
    ``posted_since`` is absolute; use cases derive it from "posted within N days" and their clock.
    Sorting by relevance without ``text`` falls back to date.
    """

    text: str | None = None
    location: str | None = None
    country: str | None = attrs.field(default=None, validator=_country)
    remote: RemoteMode | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    currency: str | None = None
    employment_type: EmploymentType | None = None
    company: str | None = None
    category: str | None = None
    posted_since: datetime | None = None
    sort: JobSort = JobSort.RELEVANCE

    def __attrs_post_init__(self) -> None:
        """Check the combination of filters."""
        for name, value in (
            ("q", self.text),
            ("location", self.location),
            ("company", self.company),
            ("category", self.category),
        ):
            if value is not None and len(value) > MAX_QUERY_LENGTH:
                raise InvalidInput(
                    f"{name} is longer than {MAX_QUERY_LENGTH} characters", field=name
                )
        if self.currency is not None and not _CURRENCY.match(self.currency):
            raise InvalidInput(
                f"currency {self.currency[:40]!r} is not an upper-case ISO 4217 code such as GBP",
                field="currency",
            )
        has_salary = self.salary_min is not None or self.salary_max is not None
        if has_salary and self.currency is None:
            raise InvalidInput(
                "salary_min/salary_max need a currency (ISO 4217, e.g. GBP): "
                "Jobraker does not convert between currencies",
                field="currency",
            )
        for name, bound in (("salary_min", self.salary_min), ("salary_max", self.salary_max)):
            if bound is not None and (not bound.is_finite() or bound < 0):
                raise InvalidInput(f"{name} must be a non-negative number", field=name)
        if (
            self.salary_min is not None
            and self.salary_max is not None
            and self.salary_min > self.salary_max
        ):
            raise InvalidInput("salary_min is above salary_max", field="salary_min")

    @property
    def effective_sort(self) -> JobSort:
        """The order actually used: relevance needs search text, otherwise date."""
        if self.sort is JobSort.RELEVANCE and not self.text_terms:
            return JobSort.DATE
        return self.sort

    @property
    def text_terms(self) -> tuple[str, ...]:
        """The folded words of the text filter."""
        return tuple(fold(self.text).split()) if self.text else ()

    def matches(self, job: JobPosting) -> bool:  # noqa: C901, PLR0911 - one clause per filter
        """Whether ``job`` passes every filter (the reference semantics for every repository)."""
        if self.text_terms:
            haystack = set(fold(f"{job.title} {job.company or ''} {job.description}").split())
            if not all(term in haystack for term in self.text_terms):
                return False
        if self.location:
            needle = self.location.casefold()
            places = (job.location.city, job.location.region, job.location.display)
            if not any(p and needle in p.casefold() for p in places):
                return False
        if self.country and job.location.country_code != self.country:
            return False
        if self.remote and job.location.remote is not self.remote:
            return False
        if self.employment_type and job.employment_type is not self.employment_type:
            return False
        if self.company and (job.company or "").casefold() != self.company.casefold():
            return False
        if self.category and (job.category or "").casefold() != self.category.casefold():
            return False
        if self.posted_since and (job.posted_at is None or job.posted_at < self.posted_since):
            return False
        return self._salary_matches(job.salary)

    def _salary_matches(self, salary: Salary | None) -> bool:
        if self.currency is None or (self.salary_min is None and self.salary_max is None):
            return True
        if salary is None or salary.currency != self.currency:
            return False
        if self.salary_min is not None and salary.annual_high < self.salary_min:
            return False
        return not (self.salary_max is not None and salary.annual_low > self.salary_max)


def posted_since(now: datetime, within_days: int | None) -> datetime | None:
    """The instant "posted within ``within_days`` days" starts at, or None for no limit."""
    if within_days is None:
        return None
    if not 1 <= within_days <= MAX_RECENCY_DAYS:
        raise InvalidInput(
            f"posted_within_days must be between 1 and {MAX_RECENCY_DAYS}",
            field="posted_within_days",
        )
    return now - timedelta(days=within_days)
