import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from jobraker_adapters.sources.feed_file import MAX_RECORD_BYTES, FeedFormat, FileJobSource
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import EmploymentType, JobDraft, Location, RejectedRecord, RemoteMode
from jobraker_core.jobs.salary import Salary, SalaryPeriod

FULL = {
    "source_id": "j-1",
    "title": "Senior Python Developer",
    "company": "Acme Ltd",
    "description": "<p>Build <b>APIs</b>.</p>",
    "location": "Leeds, West Yorkshire",
    "country": "gb",
    "remote": "hybrid",
    "salary_min": 50000,
    "salary_max": 65000.5,
    "salary_currency": "gbp",
    "salary_period": "year",
    "salary_estimated": False,
    "employment_type": "Full-time",
    "category": "IT Jobs",
    "posted_at": "2024-04-15T09:30:00+02:00",
    "url": "https://jobs.example.com/1",
    "apply_url": "https://jobs.example.com/1/apply",
}


def write_lines(tmp_path: Path, *lines: str | bytes, name: str = "feed.jsonl") -> Path:
    """Write lines (each followed by a newline) to a feed file."""
    path = tmp_path / name
    path.write_bytes(
        b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
    )
    return path


def fetch(path: Path, fmt: FeedFormat = FeedFormat.JSONL) -> list[JobDraft | RejectedRecord]:
    """Read every item of a feed file."""
    return list(FileJobSource(path, "file:test", fmt).fetch())


def only_draft(tmp_path: Path, record: dict[str, object]) -> JobDraft:
    """Read a one-record feed and assert it became a draft."""
    [item] = fetch(write_lines(tmp_path, json.dumps(record)))
    assert isinstance(item, JobDraft), item
    return item


def only_rejection(tmp_path: Path, line: str | bytes) -> RejectedRecord:
    """Read a one-line feed and assert it was rejected."""
    [item] = fetch(write_lines(tmp_path, line))
    assert isinstance(item, RejectedRecord), item
    return item


def test_every_field_is_mapped(tmp_path):
    """Every documented field of a JSON Lines record lands on the draft, typed."""
    draft = only_draft(tmp_path, FULL)
    assert draft == JobDraft(
        source="file:test",
        source_id="j-1",
        title="Senior Python Developer",
        description="<p>Build <b>APIs</b>.</p>",
        company="Acme Ltd",
        location=Location(
            display="Leeds, West Yorkshire",
            city="Leeds",
            region="West Yorkshire",
            country_code="GB",
            remote=RemoteMode.HYBRID,
        ),
        salary=Salary(Decimal(50000), Decimal("65000.5"), "GBP", SalaryPeriod.YEAR),
        employment_type=EmploymentType.FULL_TIME,
        category="IT Jobs",
        posted_at=datetime(2024, 4, 15, 7, 30, tzinfo=UTC),
        url="https://jobs.example.com/1",
        apply_url="https://jobs.example.com/1/apply",
    )


def test_only_source_id_title_and_description_are_required(tmp_path):
    """A record with just the three required fields is a draft with nothing else set."""
    draft = only_draft(tmp_path, {"source_id": 7, "title": "Nurse", "description": "Care."})
    assert (draft.source_id, draft.title, draft.description) == ("7", "Nurse", "Care.")
    assert draft.location == Location()
    assert draft.salary is None
    assert draft.posted_at is None
    assert draft.employment_type is None


@pytest.mark.parametrize("missing", ["source_id", "title", "description"])
def test_a_missing_required_field_is_named(tmp_path, missing):
    """A record without a required field is rejected, naming the field."""
    record = {k: v for k, v in FULL.items() if k != missing}
    rejection = only_rejection(tmp_path, json.dumps(record))
    assert rejection == RejectedRecord("line 1", f"missing {missing}")


def test_blank_required_fields_count_as_missing(tmp_path):
    """Whitespace-only or null required fields are reported as missing."""
    line = json.dumps({"source_id": " ", "title": None, "description": "x"})
    assert only_rejection(tmp_path, line).reason == "missing source_id and title"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, RemoteMode.REMOTE),
        (False, RemoteMode.ON_SITE),
        ("hybrid", RemoteMode.HYBRID),
        ("Yes", RemoteMode.REMOTE),
        ("no", RemoteMode.ON_SITE),
        ("1", RemoteMode.REMOTE),
        ("0", RemoteMode.ON_SITE),
        ("HYBRID", RemoteMode.HYBRID),
        (None, None),
    ],
)
def test_remote_values(tmp_path, value, expected):
    """``remote`` accepts booleans, "hybrid" and the usual yes/no words."""
    draft = only_draft(tmp_path, {**FULL, "remote": value})
    assert draft.location.remote is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("full_time", EmploymentType.FULL_TIME),
        ("FULL_TIME", EmploymentType.FULL_TIME),
        ("Full-time", EmploymentType.FULL_TIME),
        ("full time", EmploymentType.FULL_TIME),
        ("Part-Time", EmploymentType.PART_TIME),
        ("Contract", EmploymentType.CONTRACT),
        ("contractor", EmploymentType.CONTRACT),
        ("Temporary", EmploymentType.TEMPORARY),
        ("temp", EmploymentType.TEMPORARY),
        ("Internship", EmploymentType.INTERNSHIP),
    ],
)
def test_employment_type_variants(tmp_path, value, expected):
    """Obvious spellings of the employment types are understood."""
    assert only_draft(tmp_path, {**FULL, "employment_type": value}).employment_type is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hour", SalaryPeriod.HOUR),
        ("day", SalaryPeriod.DAY),
        ("week", SalaryPeriod.WEEK),
        ("month", SalaryPeriod.MONTH),
        ("year", SalaryPeriod.YEAR),
        ("Hourly", SalaryPeriod.HOUR),
        ("annual", SalaryPeriod.YEAR),
        (None, SalaryPeriod.YEAR),
    ],
)
def test_salary_periods(tmp_path, value, expected):
    """``salary_period`` takes the five periods (and -ly forms); absent means per year."""
    record = {**FULL, "salary_period": value, "salary_min": 30, "salary_max": 40}
    salary = only_draft(tmp_path, record).salary
    assert salary is not None
    assert salary.period is expected


def test_salary_numbers_may_be_strings_and_one_bound_is_enough(tmp_path):
    """Numeric strings are numbers, and a salary needs only one bound."""
    record = {
        **FULL,
        "salary_min": " 21.50 ",
        "salary_max": None,
        "salary_period": "hour",
        "salary_estimated": "true",
    }
    assert only_draft(tmp_path, record).salary == Salary(
        Decimal("21.50"), None, "GBP", SalaryPeriod.HOUR, estimated=True
    )


def test_country_accepts_codes_in_any_case_and_common_names(tmp_path):
    """``country`` takes ISO alpha-2 in any case and names such as "United States" or "UK"."""
    for given, code in [
        ("us", "US"),
        ("United States", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("de", "DE"),
        ("Germany", "DE"),
    ]:
        assert only_draft(tmp_path, {**FULL, "country": given}).location.country_code == code


@pytest.mark.parametrize(
    ("text", "city", "region", "country"),
    [
        ("Austin, TX", "Austin", "TX", None),
        ("Leeds, West Yorkshire, UK", "Leeds", "West Yorkshire", "GB"),
        ("Los Angeles, California, United States", "Los Angeles", "California", "US"),
        ("Texas, United States", None, "Texas", "US"),
        ("London, UK", "London", None, "GB"),
        ("Greater Philadelphia", None, None, None),
    ],
)
def test_location_text_is_split_into_city_and_region(tmp_path, text, city, region, country):
    """Location text "City, Region[, Country]" yields city, region and country heuristically."""
    record = {k: v for k, v in FULL.items() if k != "country"}
    location = only_draft(tmp_path, {**record, "location": text}).location
    assert (location.display, location.city, location.region, location.country_code) == (
        text,
        city,
        region,
        country,
    )


def test_explicit_city_region_and_country_win_over_the_guess(tmp_path):
    """Given ``city``/``region``/``country`` fields override what the location text suggests."""
    record = {
        **FULL,
        "location": "Leeds, West Yorkshire",
        "city": "Bradford",
        "region": "Yorkshire",
        "country": "GB",
    }
    location = only_draft(tmp_path, record).location
    assert (location.city, location.region, location.country_code) == (
        "Bradford",
        "Yorkshire",
        "GB",
    )


def test_remote_location_text_means_remote(tmp_path):
    """Location text "Remote" marks the job remote when ``remote`` is not given."""
    record = {k: v for k, v in FULL.items() if k != "remote"}
    assert only_draft(tmp_path, {**record, "location": "Remote"}).location.remote is (
        RemoteMode.REMOTE
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-15", datetime(2024, 4, 15, tzinfo=UTC)),
        ("2024-04-15T10:00:00", datetime(2024, 4, 15, 10, tzinfo=UTC)),
        ("2024-04-15T10:00:00Z", datetime(2024, 4, 15, 10, tzinfo=UTC)),
        ("2024-04-15T10:00:00-05:00", datetime(2024, 4, 15, 15, tzinfo=UTC)),
    ],
)
def test_posted_at_forms(tmp_path, text, expected):
    """``posted_at`` takes ISO 8601 dates and date-times; naive ones are UTC."""
    posted = only_draft(tmp_path, {**FULL, "posted_at": text}).posted_at
    assert posted == expected
    assert posted is not None
    assert posted.utcoffset() is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"salary_min": "50k"}, "salary_min '50k' is not a number"),
        ({"salary_max": True}, "salary_max 'true' is not a number"),
        (
            {"salary_period": "fortnight"},
            "unknown salary_period 'fortnight' (expected hour, day, week, month or year)",
        ),
        (
            {"salary_currency": None},
            "salary_currency is required when salary_min or salary_max is given",
        ),
        ({"salary_currency": "pounds"}, "currency 'pounds' is not an ISO 4217 code such as USD"),
        ({"salary_min": 70000}, "salary minimum 70000 is above the maximum 65000.5"),
        ({"salary_min": -1}, "salary minimum must be a non-negative number"),
        (
            {"employment_type": "volunteer"},
            (
                "unknown employment_type 'volunteer' "
                "(expected full_time, part_time, contract, temporary or internship)"
            ),
        ),
        ({"remote": "sometimes"}, "remote 'sometimes' is not true, false or \"hybrid\""),
        (
            {"country": "Narnia"},
            "country 'Narnia' is not an ISO 3166 alpha-2 code (such as GB) or a known country name",
        ),
        ({"posted_at": "yesterday"}, "posted_at 'yesterday' is not an ISO 8601 date or date-time"),
        ({"url": "ftp://example.com/x"}, "url 'ftp://example.com/x' is not an http(s) URL"),
        (
            {"apply_url": "javascript:alert(1)"},
            "apply_url 'javascript:alert(1)' is not an http(s) URL",
        ),
        ({"title": {"en": "Dev"}}, 'title must be text, not \'{"en": "Dev"}\''),
        ({"title": "x" * 301}, "title is longer than 300 characters"),
        ({"title": "<br>"}, "title is empty once its markup is removed"),
        ({"company": "c" * 501}, "company is longer than 500 characters"),
        ({"salary_estimated": "maybe"}, "salary_estimated 'maybe' is not true or false"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(tmp_path, change, reason):
    """A record with a bad value is rejected with its line number and a reason a person reads."""
    assert only_rejection(tmp_path, json.dumps({**FULL, **change})) == RejectedRecord(
        "line 1", reason
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "{not json",
            "not valid JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        ("[1, 2]", "a line must hold one JSON object, not a list"),
        ('"text"', "a line must hold one JSON object, not a string"),
        ("42", "a line must hold one JSON object, not a number"),
        ("null", "a line must hold one JSON object, not null"),
        ('{"source_id": NaN}', "not valid JSON: NaN is not a number JSON allows"),
        (b'{"title": "caf\xe9"}', "not valid UTF-8 text (bad byte at column 15)"),
        (
            '{"source_id": "a", "title": "\\ud800", "description": "d"}',
            "title contains an invalid character (a lone \\u surrogate escape)",
        ),
    ],
)
def test_unreadable_lines_are_rejected(tmp_path, line, reason):
    """Lines that are not one UTF-8 JSON object are rejected, saying what is wrong."""
    assert only_rejection(tmp_path, line) == RejectedRecord("line 1", reason)


def test_bad_lines_do_not_stop_the_rest_and_carry_their_line_numbers(tmp_path):
    """Rejections name their line; blank lines are skipped but still counted."""
    good = json.dumps(FULL)
    path = write_lines(
        tmp_path,
        good,
        "",
        "   ",
        "{oops",
        json.dumps({**FULL, "source_id": "j-2"}),
        json.dumps({**FULL, "salary_period": "fortnight"}),
        good,
    )
    items = fetch(path)
    assert [type(i).__name__ for i in items] == [
        "JobDraft",
        "RejectedRecord",
        "JobDraft",
        "RejectedRecord",
        "JobDraft",
    ]
    assert [i.ref for i in items if isinstance(i, RejectedRecord)] == ["line 4", "line 6"]


def test_oversized_lines_are_rejected_and_skipped(tmp_path):
    """A line over 1 MiB is rejected with its number and the next line is still read."""
    huge = json.dumps({**FULL, "description": "x" * (MAX_RECORD_BYTES + 10)})
    path = write_lines(tmp_path, huge, json.dumps(FULL))
    items = fetch(path)
    assert items[0] == RejectedRecord("line 1", "line is longer than 1 MiB")
    assert isinstance(items[1], JobDraft)


def test_a_byte_order_mark_and_crlf_endings_are_fine(tmp_path):
    """A UTF-8 BOM at the start and CRLF line endings do not disturb parsing."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(FULL).encode()
        + b"\r\n"
        + json.dumps({**FULL, "source_id": "j-2"}).encode()
        + b"\r\n"
    )
    assert [i.source_id for i in fetch(path) if isinstance(i, JobDraft)] == ["j-1", "j-2"]


def test_unknown_fields_are_ignored_and_names_are_case_insensitive(tmp_path):
    """Extra fields are ignored; field names match in any case."""
    record = {"Source_ID": "x", "TITLE": "Dev", "Description": "Do things", "extra": [1]}
    assert only_draft(tmp_path, record).title == "Dev"


def test_a_missing_file_is_invalid_input_naming_path(tmp_path):
    """Fetching a file that does not exist raises ``InvalidInput`` for ``path``."""
    source = FileJobSource(tmp_path / "nope.jsonl", "file:nope.jsonl", FeedFormat.JSONL)
    with pytest.raises(InvalidInput) as raised:
        list(source.fetch())
    assert raised.value.field == "path"
    assert "does not exist" in raised.value.message


def test_a_directory_is_invalid_input(tmp_path):
    """Pointing a file source at a folder raises ``InvalidInput`` for ``path``."""
    with pytest.raises(InvalidInput) as raised:
        list(FileJobSource(tmp_path, "file:x", FeedFormat.JSONL).fetch())
    assert raised.value.field == "path"


def test_the_file_is_streamed_not_loaded(tmp_path):
    """The first draft arrives before the source has read the rest of the file."""
    path = write_lines(tmp_path, *(json.dumps({**FULL, "source_id": f"j-{n}"}) for n in range(3)))
    source = FileJobSource(path, "file:test", FeedFormat.JSONL)
    items = source.fetch()
    first = next(items)
    path.write_bytes(b"")  # truncating now does not change what was already yielded
    assert isinstance(first, JobDraft)
    assert first.source_id == "j-0"
    items.close()
