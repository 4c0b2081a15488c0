"""Job feed files: JSON Lines or CSV, one job a record, streamed (never loaded whole).

The format is documented in ``docs/feed-format.md``. Every record becomes a ``JobDraft`` or, when it
cannot be read, a ``RejectedRecord`` whose ``ref`` is ``"line N"`` (the line the record starts on)
and whose reason a person can act on; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import enum
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import (
    MAX_FIELD_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    EmploymentType,
    JobDraft,
    Location,
    RejectedRecord,
    RemoteMode,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod, normalise_currency
from jobraker_core.jobs.text import one_line

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from importlib.resources.abc import Traversable

MAX_RECORD_BYTES: Final = 1024 * 1024
"""A JSON Lines line or CSV record longer than this is rejected (and skipped without loading)."""

REQUIRED_FIELDS: Final = ("source_id", "title", "description")
FIELDS: Final = (
    "source_id",
    "title",
    "company",
    "description",
    "location",
    "city",
    "region",
    "country",
    "remote",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "salary_estimated",
    "employment_type",
    "category",
    "posted_at",
    "url",
    "apply_url",
)


class FeedFormat(enum.StrEnum):
    """How a feed file is written."""

    JSONL = "jsonl"
    CSV = "csv"

    @classmethod
    def for_name(cls, file_name: str) -> FeedFormat | None:
        """Return the format a file name's extension implies (.jsonl, .ndjson, .csv), if any."""
        suffix = Path(file_name).suffix.lower()
        if suffix in {".jsonl", ".ndjson"}:
            return cls.JSONL
        if suffix == ".csv":
            return cls.CSV
        return None


class _Rejected(Exception):
    """A record cannot become a draft; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Oversized(Exception):
    """The CSV record being read grew beyond ``MAX_RECORD_BYTES``."""


# ----------------------------------------------------------------------------- field values

_COUNTRY_NAMES: Final = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "canada": "CA",
    "australia": "AU",
    "new zealand": "NZ",
    "ireland": "IE",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "austria": "AT",
    "switzerland": "CH",
    "poland": "PL",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "portugal": "PT",
    "india": "IN",
    "singapore": "SG",
    "south africa": "ZA",
    "brazil": "BR",
    "mexico": "MX",
    "japan": "JP",
    "china": "CN",
}
_US_STATES: Final = frozenset(
    {
        "alabama",
        "alaska",
        "arizona",
        "arkansas",
        "california",
        "colorado",
        "connecticut",
        "delaware",
        "district of columbia",
        "florida",
        "georgia",
        "hawaii",
        "idaho",
        "illinois",
        "indiana",
        "iowa",
        "kansas",
        "kentucky",
        "louisiana",
        "maine",
        "maryland",
        "massachusetts",
        "michigan",
        "minnesota",
        "mississippi",
        "missouri",
        "montana",
        "nebraska",
        "nevada",
        "new hampshire",
        "new jersey",
        "new mexico",
        "new york",
        "north carolina",
        "north dakota",
        "ohio",
        "oklahoma",
        "oregon",
        "pennsylvania",
        "rhode island",
        "south carolina",
        "south dakota",
        "tennessee",
        "texas",
        "utah",
        "vermont",
        "virginia",
        "washington",
        "west virginia",
        "wisconsin",
        "wyoming",
        "puerto rico",
    }
)
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_REMOTE_WORDS: Final = {
    "true": RemoteMode.REMOTE,
    "yes": RemoteMode.REMOTE,
    "1": RemoteMode.REMOTE,
    "remote": RemoteMode.REMOTE,
    "false": RemoteMode.ON_SITE,
    "no": RemoteMode.ON_SITE,
    "0": RemoteMode.ON_SITE,
    "on_site": RemoteMode.ON_SITE,
    "onsite": RemoteMode.ON_SITE,
    "on site": RemoteMode.ON_SITE,
    "on-site": RemoteMode.ON_SITE,
    "hybrid": RemoteMode.HYBRID,
}
_BOOL_WORDS: Final = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_EMPLOYMENT_WORDS: Final = {
    "fulltime": EmploymentType.FULL_TIME,
    "parttime": EmploymentType.PART_TIME,
    "contract": EmploymentType.CONTRACT,
    "contractor": EmploymentType.CONTRACT,
    "temporary": EmploymentType.TEMPORARY,
    "temp": EmploymentType.TEMPORARY,
    "internship": EmploymentType.INTERNSHIP,
    "intern": EmploymentType.INTERNSHIP,
}
_PERIOD_WORDS: Final = {
    "hour": SalaryPeriod.HOUR,
    "hourly": SalaryPeriod.HOUR,
    "day": SalaryPeriod.DAY,
    "daily": SalaryPeriod.DAY,
    "week": SalaryPeriod.WEEK,
    "weekly": SalaryPeriod.WEEK,
    "month": SalaryPeriod.MONTH,
    "monthly": SalaryPeriod.MONTH,
    "year": SalaryPeriod.YEAR,
    "yearly": SalaryPeriod.YEAR,
    "annual": SalaryPeriod.YEAR,
    "annually": SalaryPeriod.YEAR,
}
_MAX_SALARY_FIGURE: Final = Decimal(10) ** 12
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-]+")


def _show(value: object) -> str:
    """Quote a bad value briefly for a rejection reason."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text[:60] + "…") if len(text) > 60 else repr(text)  # noqa: PLR2004 - quote length


def _text(record: Mapping[str, object], name: str) -> str | None:
    """Read a text field: stripped, None when absent or blank; numbers count as their text."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _Rejected(f"{name} must be text, not {_show(value)}")
    text = str(value).strip()
    if _SURROGATE.search(text):
        raise _Rejected(f"{name} contains an invalid character (a lone \\u surrogate escape)")
    return text or None


def _short_text(record: Mapping[str, object], name: str) -> str | None:
    text = _text(record, name)
    if text is not None and len(text) > MAX_FIELD_LENGTH:
        raise _Rejected(f"{name} is longer than {MAX_FIELD_LENGTH} characters")
    return text


def _number(record: Mapping[str, object], name: str) -> Decimal | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _Rejected(f"{name} {_show(value)} is not a number")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise _Rejected(f"{name} {_show(value)} is not a number") from None
    if not number.is_finite():
        raise _Rejected(f"{name} {_show(value)} is not a finite number")
    return number


def _flag(record: Mapping[str, object], name: str) -> bool | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower() if isinstance(value, str | int) else None
    if key is None or key not in _BOOL_WORDS:
        raise _Rejected(f"{name} {_show(value)} is not true or false")
    return _BOOL_WORDS[key]


def _remote(record: Mapping[str, object]) -> RemoteMode | None:
    value = record.get("remote")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return RemoteMode.REMOTE if value else RemoteMode.ON_SITE
    key = str(value).strip().lower() if isinstance(value, str | int) else None
    if key is None or key not in _REMOTE_WORDS:
        raise _Rejected(f'remote {_show(value)} is not true, false or "hybrid"')
    return _REMOTE_WORDS[key]


def parse_country(text: str) -> str | None:
    """Read an ISO 3166 alpha-2 code (any case) or a common country name as an upper-case code."""
    cleaned = text.strip()
    if _ALPHA2.match(cleaned):
        return "GB" if cleaned.upper() == "UK" else cleaned.upper()
    return _COUNTRY_NAMES.get(" ".join(cleaned.lower().split()))


def parse_employment_type(text: str) -> EmploymentType | None:
    """``full_time``, ``Full-time``, ``FULL_TIME``, ``Contract``, ``intern``... as the enum."""
    return _EMPLOYMENT_WORDS.get(_SEPARATORS.sub("", text.lower()))


def _period(record: Mapping[str, object]) -> SalaryPeriod:
    text = _text(record, "salary_period")
    if text is None:
        return SalaryPeriod.YEAR
    period = _PERIOD_WORDS.get(text.lower())
    if period is None:
        raise _Rejected(
            f"unknown salary_period {_show(text)} (expected hour, day, week, month or year)"
        )
    return period


def _salary(record: Mapping[str, object]) -> Salary | None:
    minimum = _number(record, "salary_min")
    maximum = _number(record, "salary_max")
    if minimum is None and maximum is None:
        return None
    currency = _text(record, "salary_currency")
    if currency is None:
        raise _Rejected("salary_currency is required when salary_min or salary_max is given")
    period = _period(record)
    estimated = _flag(record, "salary_estimated") or False
    for name, bound in (("salary_min", minimum), ("salary_max", maximum)):
        if bound is not None and abs(bound) > _MAX_SALARY_FIGURE:
            raise _Rejected(f"{name} {bound} is implausibly large")
    try:
        return Salary(minimum, maximum, normalise_currency(currency), period, estimated)
    except InvalidInput as error:
        raise _Rejected(error.message) from None


def _posted_at(record: Mapping[str, object]) -> datetime | None:
    text = _text(record, "posted_at")
    if text is None:
        return None
    try:
        if len(text) <= 10:  # noqa: PLR2004 - a date without a time, e.g. 2024-04-15
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Rejected(f"posted_at {_show(text)} is not an ISO 8601 date or date-time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise _Rejected(f"posted_at {_show(text)} is out of range") from None


def _url(record: Mapping[str, object], name: str) -> str | None:
    text = _text(record, name)
    if text is None:
        return None
    if len(text) > MAX_URL_LENGTH:
        raise _Rejected(f"{name} is longer than {MAX_URL_LENGTH} characters")
    if not _URL.match(text) or _CONTROL.search(text):
        raise _Rejected(f"{name} {_show(text)} is not an http(s) URL")
    return text


def _location(record: Mapping[str, object]) -> Location:
    display = _short_text(record, "location")
    city = _short_text(record, "city")
    region = _short_text(record, "region")
    country_text = _text(record, "country")
    remote = _remote(record)
    country: str | None = None
    if country_text is not None:
        country = parse_country(country_text)
        if country is None:
            raise _Rejected(
                f"country {_show(country_text)} is not an ISO 3166 alpha-2 code (such as GB) "
                "or a known country name"
            )
    if display is not None:
        guess = guess_place(display)
        city = city or guess.city
        region = region or guess.region
        country = country or guess.country_code
        if remote is None and guess.remote is not None:
            remote = guess.remote
    try:
        return Location(
            display=display, city=city, region=region, country_code=country, remote=remote
        )
    except InvalidInput as error:
        raise _Rejected(error.message) from None


def guess_place(text: str) -> Location:
    """Guess city, region and country from place text (a heuristic).

    Understands ``"Austin, TX"``, ``"Leeds, West Yorkshire, UK"``, ``"Texas, United States"``
    and ``"Remote"``; a two-letter last part is taken as a region unless it is UK or US, and a
    lone place before a country is a city unless it is a US state.
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) == 1 and parts[0].lower() in {"remote", "anywhere", "worldwide"}:
        return Location(remote=RemoteMode.REMOTE)
    country = None
    if parts:
        last = parts[-1]
        # A two-letter last part is a region ("Austin, TX") unless it is UK/US or a third part.
        unambiguous = len(last) > 2 or last.upper() in {"UK", "US"} or len(parts) >= 3  # noqa: PLR2004
        if unambiguous and (named := parse_country(last)) is not None:
            country = named
            parts = parts[:-1]
    if len(parts) >= 2:  # noqa: PLR2004 - "City, Region"
        return Location(city=parts[0], region=parts[-1], country_code=country)
    if len(parts) == 1 and country is not None:
        if country == "US" and parts[0].lower() in _US_STATES:  # "Texas, United States"
            return Location(region=parts[0], country_code=country)
        return Location(city=parts[0], country_code=country)  # "London, UK"
    return Location(country_code=country)


def _employment_type(record: Mapping[str, object]) -> EmploymentType | None:
    text = _text(record, "employment_type")
    if text is None:
        return None
    kind = parse_employment_type(text)
    if kind is None:
        raise _Rejected(
            f"unknown employment_type {_show(text)} "
            "(expected full_time, part_time, contract, temporary or internship)"
        )
    return kind


def record_to_draft(record: Mapping[str, object], source: str) -> JobDraft:
    """Turn one feed record (field name → JSON value or CSV text) into a draft.

    Raises ``InvalidInput`` saying what is wrong with the record.
    """
    try:
        return _draft(record, source)
    except _Rejected as rejected:
        raise InvalidInput(rejected.reason) from None


def _draft(record: Mapping[str, object], source: str) -> JobDraft:
    missing = [name for name in REQUIRED_FIELDS if _text(record, name) is None]
    if missing:
        raise _Rejected(f"missing {' and '.join(missing)}")
    source_id = _text(record, "source_id") or ""
    if len(source_id) > MAX_FIELD_LENGTH or _CONTROL.search(source_id):
        raise _Rejected(f"source_id {_show(source_id)} is too long or has control characters")
    title = _text(record, "title") or ""
    if len(one_line(title)) > MAX_TITLE_LENGTH:
        raise _Rejected(f"title is longer than {MAX_TITLE_LENGTH} characters")
    if not one_line(title):
        raise _Rejected("title is empty once its markup is removed")
    return JobDraft(
        source=source,
        source_id=source_id,
        title=title,
        description=_text(record, "description") or "",
        company=_short_text(record, "company"),
        location=_location(record),
        salary=_salary(record),
        employment_type=_employment_type(record),
        category=_short_text(record, "category"),
        posted_at=_posted_at(record),
        url=_url(record, "url"),
        apply_url=_url(record, "apply_url"),
    )


def _to_item(record: Mapping[str, object], source: str, ref: str) -> JobDraft | RejectedRecord:
    try:
        return _draft(record, source)
    except _Rejected as rejected:
        return RejectedRecord(ref, rejected.reason)
    except InvalidInput as error:  # a domain rule the checks above did not anticipate
        return RejectedRecord(ref, error.message)


# ----------------------------------------------------------------------------- reading the file


def _physical_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line number, raw line)`` for each line of ``stream``.

    The line is None when it is longer than the limit; its bytes were skipped, never held.
    """
    number = 0
    while line := stream.readline(MAX_RECORD_BYTES + 1):
        number += 1
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(64 * 1024)
            yield number, None
            continue
        yield number, line


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number"


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def _jsonl_items(stream: IO[bytes], source: str) -> Iterator[JobDraft | RejectedRecord]:
    for number, line in _physical_lines(stream):
        ref = f"line {number}"
        if line is None:
            yield RejectedRecord(ref, "line is longer than 1 MiB")
            continue
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            reason = f"not valid UTF-8 text (bad byte at column {error.start + 1})"
            yield RejectedRecord(ref, reason)
            continue
        try:
            value = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
        except json.JSONDecodeError as error:
            yield RejectedRecord(ref, f"not valid JSON: {error.msg} at column {error.colno}")
            continue
        except (ValueError, RecursionError) as error:
            yield RejectedRecord(ref, f"not valid JSON: {str(error)[:120]}")
            continue
        if not isinstance(value, dict):
            yield RejectedRecord(ref, f"a line must hold one JSON object, not {_json_kind(value)}")
            continue
        record = {str(key).strip().lower(): item for key, item in value.items()}
        yield _to_item(record, source, ref)


class _CsvLines:
    """Feeds ``csv.reader`` decoded lines and tracks where each record starts and how big it is."""

    def __init__(self, lines: Iterator[tuple[int, bytes | None]]) -> None:
        self._lines = lines
        self.consumed = 0
        self.record_start = 1
        self._record_bytes = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, line = next(self._lines)
        self.consumed = number
        if line is None:
            raise _Oversized
        self._record_bytes += len(line)
        if self._record_bytes > MAX_RECORD_BYTES:
            raise _Oversized
        return line.decode("utf-8", errors="surrogateescape")

    def next_record(self) -> None:
        """Mark the record read so far as finished: the next starts on the next line."""
        self.record_start = self.consumed + 1
        self._record_bytes = 0


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str] | str]]:
    """Yield ``(first line, fields)`` per CSV record, or ``(first line, reason)`` for a bad one.

    A fresh reader takes over after a broken record.
    """
    feeder = _CsvLines(_physical_lines(stream))
    while True:
        try:
            for row in csv.reader(feeder, strict=True):
                yield feeder.record_start, row
                feeder.next_record()
        except _Oversized:
            yield feeder.record_start, "record is longer than 1 MiB (is a quote left open?)"
        except csv.Error as error:
            hint = " (is a quote left open?)" if "end of data" in str(error) else ""
            yield feeder.record_start, f"not valid CSV: {error}{hint}"
        else:
            return
        feeder.next_record()


def _csv_items(stream: IO[bytes], source: str) -> Iterator[JobDraft | RejectedRecord]:
    header: list[str] | None = None
    for start, row in _csv_rows(stream):
        ref = f"line {start}"
        if isinstance(row, str):
            yield RejectedRecord(ref, row)
            continue
        if not any(field.strip() for field in row):
            continue
        bad_text = any(_SURROGATE.search(field) for field in row)
        if header is None:
            if bad_text:
                raise InvalidInput(
                    f"the CSV header (line {start}) is not valid UTF-8 text", field="path"
                )
            header = [name.strip().lower() for name in row]
            missing = [name for name in REQUIRED_FIELDS if name not in header]
            if missing:
                raise InvalidInput(
                    f"the CSV header (line {start}) has no {', '.join(missing)} column; "
                    f"columns are {', '.join(FIELDS)}",
                    field="path",
                )
            continue
        if bad_text:
            yield RejectedRecord(ref, "not valid UTF-8 text")
            continue
        if len(row) > len(header):
            yield RejectedRecord(
                ref, f"has {len(row)} fields but the header has {len(header)} (an unquoted comma?)"
            )
            continue
        record: dict[str, object] = {
            name: value for name, value in zip(header, row, strict=False) if value.strip()
        }
        yield _to_item(record, source, ref)


_READERS: Final[
    dict[FeedFormat, Callable[[IO[bytes], str], Iterator[JobDraft | RejectedRecord]]]
] = {
    FeedFormat.JSONL: _jsonl_items,
    FeedFormat.CSV: _csv_items,
}


class FileJobSource:
    """A ``JobSource`` over a feed file (JSON Lines or CSV), read as a stream.

    ``path`` may be a filesystem path or a packaged resource. With ``root`` set, the file must
    resolve inside that folder (symbolic links included), else ``InvalidInput``. A missing or
    unreadable file raises ``InvalidInput(field="path")`` when fetched.
    """

    def __init__(
        self,
        path: Traversable,
        source_name: str,
        format: FeedFormat,  # noqa: A002
        *,
        root: Path | None = None,
    ) -> None:
        """Describe the file; nothing is opened until ``fetch``."""
        self.path = path
        self.source_name = source_name
        self.format = format
        self.root = root

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield each record of the file, in order."""
        self._check_inside_root()
        try:
            stream = self.path.open("rb")
        except FileNotFoundError:
            raise InvalidInput(
                f"feed file {self.path.name!r} does not exist", field="path"
            ) from None
        except IsADirectoryError:
            raise InvalidInput(
                f"feed file {self.path.name!r} is a directory", field="path"
            ) from None
        except OSError as error:
            raise InvalidInput(
                f"feed file {self.path.name!r} cannot be read: {error.strerror}", field="path"
            ) from None
        with stream:
            try:
                yield from _READERS[self.format](stream, self.source_name)
            except OSError as error:
                raise InvalidInput(
                    f"feed file {self.path.name!r} could not be read to the end: {error.strerror}",
                    field="path",
                ) from None

    def _check_inside_root(self) -> None:
        if self.root is None:
            return
        if not isinstance(self.path, Path):
            raise InvalidInput("feed files must be plain files", field="name")
        root = self.root.resolve()
        if not self.path.resolve().is_relative_to(root):
            raise InvalidInput("feed file is outside the feeds folder", field="name")
