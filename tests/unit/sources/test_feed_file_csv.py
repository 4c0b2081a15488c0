import csv
import io
import json
from pathlib import Path

import pytest
from test_feed_file_jsonl import FULL

from jobraker_adapters.sources.feed_file import (
    FIELDS,
    MAX_RECORD_BYTES,
    FeedFormat,
    FileJobSource,
)
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import JobDraft, RejectedRecord, RemoteMode

VARIANTS = [
    FULL,
    {
        **FULL,
        "source_id": "j-2",
        "remote": True,
        "employment_type": "CONTRACT",
        "salary_period": "hour",
        "salary_min": 20,
        "salary_max": 25.5,
        "posted_at": "2024-01-02",
    },
    {
        **FULL,
        "source_id": "j-3",
        "remote": False,
        "country": "United States",
        "location": "Austin, TX",
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
    },
    {"source_id": "j-4", "title": "Nurse", "description": 'Line one,\nline "two"\n\nthree'},
    {**FULL, "source_id": "j-5", "salary_estimated": True, "city": "Otley", "region": "Yorks"},
]


def csv_text(records: list[dict[str, object]], columns=FIELDS) -> str:
    """Write records as CSV text under a header of ``columns``."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([cell(record.get(name)) for name in columns])
    return out.getvalue()


def fetch_csv(tmp_path: Path, text: str | bytes) -> list[JobDraft | RejectedRecord]:
    """Read CSV text or bytes through a file source."""
    path = tmp_path / "feed.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return list(FileJobSource(path, "file:test", FeedFormat.CSV).fetch())


def fetch_jsonl(
    tmp_path: Path, records: list[dict[str, object]]
) -> list[JobDraft | RejectedRecord]:
    """Read records written as JSON Lines through a file source."""
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return list(FileJobSource(path, "file:test", FeedFormat.JSONL).fetch())


def test_csv_and_jsonl_give_the_same_drafts(tmp_path):
    """The same jobs written as CSV and as JSON Lines become identical drafts."""
    from_csv = fetch_csv(tmp_path, csv_text(VARIANTS))
    from_jsonl = fetch_jsonl(tmp_path, VARIANTS)
    assert all(isinstance(item, JobDraft) for item in from_csv)
    assert from_csv == from_jsonl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", RemoteMode.REMOTE),
        ("false", RemoteMode.ON_SITE),
        ("hybrid", RemoteMode.HYBRID),
        ("yes", RemoteMode.REMOTE),
        ("no", RemoteMode.ON_SITE),
        ("1", RemoteMode.REMOTE),
        ("0", RemoteMode.ON_SITE),
        ("", None),
    ],
)
def test_csv_remote_strings(tmp_path, text, expected):
    """CSV ``remote`` cells take true/false/hybrid/yes/no/1/0; an empty cell means unknown."""
    body = f"source_id,title,description,remote\nx,Dev,Build things,{text}\n"
    [draft] = fetch_csv(tmp_path, body)
    assert isinstance(draft, JobDraft)
    assert draft.location.remote is expected


def test_columns_may_come_in_any_order_with_extra_columns(tmp_path):
    """Columns are matched by header name, in any order and case; unknown columns are ignored."""
    body = "Notes,Description,TITLE,source_id\nignored,Build things,Dev,x\n"
    [draft] = fetch_csv(tmp_path, body)
    assert isinstance(draft, JobDraft)
    assert (draft.source_id, draft.title, draft.description) == ("x", "Dev", "Build things")


def test_rejections_carry_the_line_a_record_starts_on(tmp_path):
    """After a multi-line quoted record, rejections still name the right physical line."""
    body = (
        "source_id,title,description,salary_min,salary_currency\n"  # line 1
        'a,Dev,"first\nsecond\nthird",50000,USD\n'  # lines 2-4
        "\n"  # line 5
        "b,Dev,desc,lots,USD\n"  # line 6
        "c,,desc,,\n"  # line 7
        "d,Dev,desc,1,USD\n"  # line 8
    )
    items = fetch_csv(tmp_path, body)
    assert [(i.ref, i.reason) for i in items if isinstance(i, RejectedRecord)] == [
        ("line 6", "salary_min 'lots' is not a number"),
        ("line 7", "missing title"),
    ]
    drafts = [i for i in items if isinstance(i, JobDraft)]
    assert [d.source_id for d in drafts] == ["a", "d"]
    assert drafts[0].description == "first\nsecond\nthird"


def test_a_row_with_too_many_fields_is_rejected(tmp_path):
    """A row with more cells than the header (an unquoted comma) is rejected, not shifted."""
    body = "source_id,title,description\na,Dev,Builds, and tests\nb,Dev,ok\n"
    items = fetch_csv(tmp_path, body)
    assert items[0] == RejectedRecord(
        "line 2", "has 4 fields but the header has 3 (an unquoted comma?)"
    )
    assert isinstance(items[1], JobDraft)


def test_a_row_with_fewer_fields_treats_the_rest_as_empty(tmp_path):
    """Trailing cells left out of a row count as empty."""
    body = "source_id,title,description,company\na,Dev,desc\n"
    [draft] = fetch_csv(tmp_path, body)
    assert isinstance(draft, JobDraft)
    assert draft.company is None


def test_a_badly_encoded_row_is_rejected_with_its_line(tmp_path):
    """A row that is not UTF-8 is rejected with its line number and the rest is read."""
    body = b"source_id,title,description\na,Caf\xe9 manager,desc\nb,Dev,desc\n"
    items = fetch_csv(tmp_path, body)
    assert items[0] == RejectedRecord("line 2", "not valid UTF-8 text")
    assert isinstance(items[1], JobDraft)


def test_broken_quoting_is_rejected_and_reading_resumes(tmp_path):
    """A stray quote after a quoted cell is rejected; the next rows are still read."""
    body = 'source_id,title,description\na,"Dev"x,desc\nb,Dev,desc\n'
    items = fetch_csv(tmp_path, body)
    assert items[0].ref == "line 2"
    assert isinstance(items[0], RejectedRecord)
    assert items[0].reason.startswith("not valid CSV")
    assert isinstance(items[1], JobDraft)


def test_an_unclosed_quote_at_the_end_is_rejected(tmp_path):
    """A quote left open until the end of the file rejects that record, naming its line."""
    body = 'source_id,title,description\na,Dev,desc\nb,Dev,"never closed\nc,Dev,desc\n'
    items = fetch_csv(tmp_path, body)
    assert isinstance(items[0], JobDraft)
    assert items[1] == RejectedRecord(
        "line 3", "not valid CSV: unexpected end of data (is a quote left open?)"
    )
    assert len(items) == 2


def test_an_oversized_record_is_rejected(tmp_path):
    """A record over 1 MiB is rejected with its line number and the next record is read."""
    big = "x" * (MAX_RECORD_BYTES + 5)
    body = f"source_id,title,description\na,Dev,{big}\nb,Dev,desc\n"
    items = fetch_csv(tmp_path, body)
    assert items[0] == RejectedRecord(
        "line 2", "record is longer than 1 MiB (is a quote left open?)"
    )
    assert isinstance(items[1], JobDraft)
    assert items[1].source_id == "b"


def test_a_header_without_required_columns_makes_the_file_unusable(tmp_path):
    """A CSV whose header lacks title/description raises ``InvalidInput`` naming the columns."""
    with pytest.raises(InvalidInput) as raised:
        fetch_csv(tmp_path, "id,name\n1,Dev\n")
    assert raised.value.field == "path"
    assert "no source_id, title, description column" in raised.value.message


def test_an_empty_file_yields_nothing(tmp_path):
    """An empty CSV file (or one with only a header) has no records."""
    assert fetch_csv(tmp_path, "") == []
    assert fetch_csv(tmp_path, "source_id,title,description\n") == []


def test_a_bom_and_crlf_line_endings_are_fine(tmp_path):
    """A UTF-8 BOM before the header and CRLF endings (Excel's CSV) parse normally."""
    body = b"\xef\xbb\xbfsource_id,title,description\r\na,Dev,desc\r\n"
    [draft] = fetch_csv(tmp_path, body)
    assert isinstance(draft, JobDraft)
    assert draft.source_id == "a"
