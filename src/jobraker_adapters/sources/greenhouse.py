"""Greenhouse job boards as a ``JobSource`` (keyless public Job Board API).

``GET {base_url}/v1/boards/{board}/jobs?content=true`` answers
``{"jobs": [{id, internal_job_id, title, updated_at, requisition_id, location: {name},
absolute_url, metadata, content, departments, offices, company_name?, first_published?}],
"meta": {"total": n}}`` in one page; ``content`` is HTML-escaped HTML. Each job maps to a
``JobDraft`` (source ``greenhouse``, source id ``{board}:{id}``) or a ``RejectedRecord``.

A source fetches one or several boards in turn. An unknown board (HTTP 404) is a rejection naming
the board; if every board is unknown the run fails with ``UpstreamRejected``. Other failures map
as in ``board_http``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from jobraker_adapters.sources.board_http import BoardFetcher, BoardNotFound
from jobraker_core.errors import InvalidInput, UpstreamRejected, UpstreamUnavailable
from jobraker_core.jobs.model import (
    EmploymentType,
    JobDraft,
    Location,
    RejectedRecord,
    RemoteMode,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod

SOURCE_NAME: Final = "greenhouse"
SERVICE: Final = "greenhouse"
DEFAULT_BASE_URL: Final = "https://boards-api.greenhouse.io"
BOARD_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")

COUNTRY_NAMES: Final = {
    "united states": "US",
    "usa": "US",
    "us": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "canada": "CA",
    "ireland": "IE",
    "netherlands": "NL",
    "spain": "ES",
    "italy": "IT",
    "portugal": "PT",
    "poland": "PL",
    "sweden": "SE",
    "denmark": "DK",
    "switzerland": "CH",
    "austria": "AT",
    "belgium": "BE",
    "india": "IN",
    "australia": "AU",
    "new zealand": "NZ",
    "singapore": "SG",
    "japan": "JP",
    "brazil": "BR",
    "mexico": "MX",
}
"""Country names (as boards write them) that the location parser turns into ISO codes."""

_EMPLOYMENT: Final = {
    "full-time": EmploymentType.FULL_TIME,
    "full time": EmploymentType.FULL_TIME,
    "fulltime": EmploymentType.FULL_TIME,
    "part-time": EmploymentType.PART_TIME,
    "part time": EmploymentType.PART_TIME,
    "contract": EmploymentType.CONTRACT,
    "contractor": EmploymentType.CONTRACT,
    "temporary": EmploymentType.TEMPORARY,
    "temp": EmploymentType.TEMPORARY,
    "intern": EmploymentType.INTERNSHIP,
    "internship": EmploymentType.INTERNSHIP,
}


def check_board(name: str, field: str = "board") -> str:
    """Return a board (or company) name as the vendor spells it, or raise ``InvalidInput``."""
    cleaned = name.strip().lower()
    if not BOARD_NAME.match(cleaned):
        raise InvalidInput(
            f"{field} {name[:40]!r} must be the board's short name (letters, digits, - and _)",
            field=field,
        )
    return cleaned


def company_from_slug(slug: str) -> str:
    """A display name guessed from a board's short name (``acme-labs`` -> ``Acme Labs``)."""
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", slug) if part)


def _string(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def parse_place(text: str | None) -> Location:
    """Read a free-text place (``"London, United Kingdom"``, ``"Remote - US"``) into a location."""
    if not text:
        return Location()
    lowered = text.lower()
    remote: RemoteMode | None = None
    if "hybrid" in lowered:
        remote = RemoteMode.HYBRID
    elif "remote" in lowered or "anywhere" in lowered:
        remote = RemoteMode.REMOTE
    bare = re.sub(r"\([^)]*\)", " ", text)
    parts = [p.strip() for p in re.split(r"[,;|/]| - ", bare) if p.strip()]
    country: str | None = None
    for part in reversed(parts):
        code = COUNTRY_NAMES.get(part.lower())
        if code is not None:
            country = code
            break
    city: str | None = None
    if remote is not RemoteMode.REMOTE:
        for part in parts:
            word = re.sub(r"\b(hybrid|on-?site|office)\b", "", part, flags=re.IGNORECASE).strip()
            if word and word.lower() not in COUNTRY_NAMES:
                city = word
                break
    return Location(display=text.strip(), city=city, country_code=country, remote=remote)


def employment_type(text: str | None) -> EmploymentType | None:
    """The employment type a board's wording names (``Full-time``, ``Intern``), if any."""
    if not text:
        return None
    return _EMPLOYMENT.get(text.strip().lower())


def _moment(value: object) -> datetime | None:
    text = _string(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _metadata(job: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    items = job.get("metadata")
    if not isinstance(items, list):
        return found
    for item in items:
        if isinstance(item, Mapping):
            name = _string(item.get("name"))
            value = item.get("value")
            text = _string(value[0] if isinstance(value, list) and value else value)
            if name and text:
                found[name.lower()] = text
    return found


def _cents(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value)) / 100
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _salary(job: Mapping[str, Any]) -> Salary | None:
    """The first pay range (``pay_input_ranges``, in cents per year) a board publishes."""
    ranges = job.get("pay_input_ranges")
    if not isinstance(ranges, list) or not ranges or not isinstance(ranges[0], Mapping):
        return None
    first = ranges[0]
    currency = (_string(first.get("currency_type")) or "").upper()
    try:
        return Salary(
            _cents(first.get("min_cents")),
            _cents(first.get("max_cents")),
            currency,
            SalaryPeriod.YEAR,
        )
    except (InvalidInput, ArithmeticError):
        return None


def _first_name(job: Mapping[str, Any], key: str) -> str | None:
    items = job.get(key)
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return _string(items[0].get("name"))
    return None


def map_job(job: object, board: str, company: str | None) -> JobDraft | RejectedRecord:
    """Map one Greenhouse job to a draft, or to a rejection saying why it cannot be read."""
    ref = f"{SOURCE_NAME}:{board}"
    if not isinstance(job, Mapping):
        return RejectedRecord(ref, "job is not a JSON object")
    job_id = _string(job.get("id"))
    if job_id is not None:
        ref = f"{SOURCE_NAME}:{board}:{job_id}"
    title = _string(job.get("title"))
    content = _string(job.get("content"))
    missing = [n for n, v in (("id", job_id), ("title", title), ("content", content)) if not v]
    if job_id is None or title is None or content is None:
        return RejectedRecord(ref, f"job has no {' and no '.join(missing)}")
    place = job.get("location")
    location = parse_place(_string(place.get("name")) if isinstance(place, Mapping) else None)
    meta = _metadata(job)
    url = _string(job.get("absolute_url"))
    try:
        return JobDraft(
            source=SOURCE_NAME,
            source_id=f"{board}:{job_id}",
            title=title,
            description=html.unescape(content),
            company=_string(job.get("company_name")) or company or company_from_slug(board),
            location=location,
            salary=_salary(job),
            employment_type=employment_type(
                meta.get("employment type") or meta.get("employment_type")
            ),
            category=_first_name(job, "departments"),
            posted_at=_moment(job.get("first_published")) or _moment(job.get("updated_at")),
            url=url,
            apply_url=url,
        )
    except InvalidInput as error:
        return RejectedRecord(ref, error.message)


class GreenhouseJobSource:
    """A ``JobSource`` reading the published jobs of ``boards`` from Greenhouse, board by board.

    ``companies`` optionally names the employer of a board (else Greenhouse's ``company_name``,
    else a name made from the board's short name).
    """

    def __init__(
        self,
        *,
        fetcher: BoardFetcher,
        base_url: str,
        boards: Sequence[str],
        companies: Mapping[str, str] | None = None,
    ) -> None:
        """Take the configured fetcher, the API's base URL and the boards to read."""
        self._fetcher = fetcher
        self._base_url = base_url.rstrip("/")
        self.boards = tuple(boards)
        self._companies = dict(companies or {})

    def board_url(self, board: str) -> str:
        """The jobs URL of one board (without the query string)."""
        return f"{self._base_url}/v1/boards/{board}/jobs"

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield every job of every board; a board that does not exist yields one rejection."""
        unknown: list[str] = []
        for board in self.boards:
            what = f"job board {board!r}"
            try:
                body = self._fetcher.get_json(self.board_url(board), {"content": "true"}, what=what)
            except BoardNotFound as error:
                unknown.append(board)
                yield RejectedRecord(f"{SOURCE_NAME}:{board}", error.message)
                continue
            jobs = body.get("jobs") if isinstance(body, dict) else None
            if not isinstance(jobs, list):
                raise UpstreamUnavailable(
                    f"Greenhouse sent a response without a jobs list ({what})", service=SERVICE
                )
            company = self._companies.get(board)
            for job in jobs:
                yield map_job(job, board, company)
        if self.boards and len(unknown) == len(self.boards):
            raise UpstreamRejected(
                f"Greenhouse has none of the job boards {', '.join(unknown)}: check the names",
                service=SERVICE,
            )
