"""Lever postings as a ``JobSource`` (keyless public Postings API).

``GET {base_url}/v0/postings/{company}?mode=json&skip=N&limit=M`` answers a JSON array of
postings ``{id, text, categories: {commitment, department, location, team, allLocations},
country, workplaceType, hostedUrl, applyUrl, createdAt (ms since the epoch), descriptionPlain,
description, lists: [{text, content}], additionalPlain, additional, salaryRange: {min, max,
currency, interval}}``; pages are read until one comes back shorter than ``limit``. Each posting
maps to a ``JobDraft`` (source ``lever``, source id the posting's id) or a ``RejectedRecord``.

An unknown company (HTTP 404) is a rejection naming it; if every company is unknown the run fails
with ``UpstreamRejected``. Other failures map as in ``board_http``.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from jobraker_adapters.sources.board_http import BoardFetcher, BoardNotFound
from jobraker_adapters.sources.greenhouse import company_from_slug, employment_type, parse_place
from jobraker_core.errors import InvalidInput, UpstreamRejected, UpstreamUnavailable
from jobraker_core.jobs.model import JobDraft, Location, RejectedRecord, RemoteMode
from jobraker_core.jobs.salary import Salary, SalaryPeriod

SOURCE_NAME: Final = "lever"
SERVICE: Final = "lever"
DEFAULT_BASE_URL: Final = "https://api.lever.co"
PAGE_SIZE: Final = 100
MAX_PAGES: Final = 50

_WORKPLACE: Final = {
    "remote": RemoteMode.REMOTE,
    "hybrid": RemoteMode.HYBRID,
    "on-site": RemoteMode.ON_SITE,
    "onsite": RemoteMode.ON_SITE,
}
_INTERVALS: Final = {
    "per-year-salary": SalaryPeriod.YEAR,
    "per-month-salary": SalaryPeriod.MONTH,
    "per-week-salary": SalaryPeriod.WEEK,
    "per-day-wage": SalaryPeriod.DAY,
    "per-hour-wage": SalaryPeriod.HOUR,
}


def _string(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


def _created(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _salary(posting: Mapping[str, Any]) -> Salary | None:
    """The posting's ``salaryRange``; a one-time or unknown interval is not a salary."""
    raw = posting.get("salaryRange")
    if not isinstance(raw, Mapping):
        return None
    period = _INTERVALS.get(_string(raw.get("interval")) or "per-year-salary")
    if period is None:
        return None
    try:
        return Salary(
            _amount(raw.get("min")),
            _amount(raw.get("max")),
            (_string(raw.get("currency")) or "").upper(),
            period,
        )
    except (InvalidInput, ArithmeticError):
        return None


def _description(posting: Mapping[str, Any]) -> str | None:
    """The posting as one HTML text: description, each list under its heading, closing text."""
    parts: list[str] = []
    body = _string(posting.get("description")) or _string(posting.get("descriptionPlain"))
    if body:
        parts.append(body)
    lists = posting.get("lists")
    if isinstance(lists, list):
        for item in lists:
            if not isinstance(item, Mapping):
                continue
            heading = _string(item.get("text"))
            content = _string(item.get("content"))
            if heading:
                parts.append(f"<h3>{html.escape(heading)}</h3>")
            if content:
                parts.append(f"<ul>{content}</ul>")
    closing = _string(posting.get("additional")) or _string(posting.get("additionalPlain"))
    if closing:
        parts.append(closing)
    return "\n".join(parts) or None


def _location(posting: Mapping[str, Any], categories: Mapping[str, Any]) -> Location:
    place = parse_place(_string(categories.get("location")))
    country = _string(posting.get("country"))
    remote = _WORKPLACE.get((_string(posting.get("workplaceType")) or "").lower(), place.remote)
    code = country.upper() if country and len(country) == 2 and country.isalpha() else None  # noqa: PLR2004
    return Location(
        display=place.display,
        city=None if remote is RemoteMode.REMOTE else place.city,
        region=place.region,
        country_code=code or place.country_code,
        remote=remote,
    )


def map_posting(
    posting: object, company_slug: str, company: str | None
) -> JobDraft | RejectedRecord:
    """Map one Lever posting to a draft, or to a rejection saying why it cannot be read."""
    ref = f"{SOURCE_NAME}:{company_slug}"
    if not isinstance(posting, Mapping):
        return RejectedRecord(ref, "posting is not a JSON object")
    posting_id = _string(posting.get("id"))
    if posting_id is not None:
        ref = f"{SOURCE_NAME}:{posting_id}"
    title = _string(posting.get("text"))
    description = _description(posting)
    missing = [
        n for n, v in (("id", posting_id), ("text", title), ("description", description)) if not v
    ]
    if posting_id is None or title is None or description is None:
        return RejectedRecord(ref, f"posting has no {' and no '.join(missing)}")
    raw_categories = posting.get("categories")
    categories: Mapping[str, Any] = raw_categories if isinstance(raw_categories, Mapping) else {}
    hosted = _string(posting.get("hostedUrl"))
    try:
        return JobDraft(
            source=SOURCE_NAME,
            source_id=posting_id,
            title=title,
            description=description,
            company=company or company_from_slug(company_slug),
            location=_location(posting, categories),
            salary=_salary(posting),
            employment_type=employment_type(_string(categories.get("commitment"))),
            category=_string(categories.get("department")) or _string(categories.get("team")),
            posted_at=_created(posting.get("createdAt")),
            url=hosted,
            apply_url=_string(posting.get("applyUrl")) or hosted,
        )
    except InvalidInput as error:
        return RejectedRecord(ref, error.message)


class LeverJobSource:
    """A ``JobSource`` reading the published postings of ``companies`` from Lever, page by page.

    ``names`` optionally gives the employer's display name per company short name (Lever's
    postings do not carry it; else a name is made from the short name).
    """

    def __init__(
        self,
        *,
        fetcher: BoardFetcher,
        base_url: str,
        companies: Sequence[str],
        names: Mapping[str, str] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        """Take the configured fetcher, the API's base URL and the companies to read."""
        self._fetcher = fetcher
        self._base_url = base_url.rstrip("/")
        self.companies = tuple(companies)
        self._names = dict(names or {})
        self._page_size = page_size

    def postings_url(self, company: str) -> str:
        """The postings URL of one company (without the query string)."""
        return f"{self._base_url}/v0/postings/{company}"

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield every posting of every company; an unknown company yields one rejection."""
        unknown: list[str] = []
        for company in self.companies:
            try:
                yield from self._company(company)
            except BoardNotFound as error:
                unknown.append(company)
                yield RejectedRecord(f"{SOURCE_NAME}:{company}", error.message)
        if self.companies and len(unknown) == len(self.companies):
            raise UpstreamRejected(
                f"Lever has none of the companies {', '.join(unknown)}: check the names",
                service=SERVICE,
            )

    def _company(self, company: str) -> Iterator[JobDraft | RejectedRecord]:
        what = f"company {company!r}"
        name = self._names.get(company)
        for page in range(MAX_PAGES):
            params = {
                "mode": "json",
                "skip": str(page * self._page_size),
                "limit": str(self._page_size),
            }
            body = self._fetcher.get_json(self.postings_url(company), params, what=what)
            if not isinstance(body, list):
                raise UpstreamUnavailable(
                    f"Lever sent a response that is not a list of postings ({what})",
                    service=SERVICE,
                )
            for posting in body:
                yield map_posting(posting, company, name)
            if len(body) < self._page_size:
                return
