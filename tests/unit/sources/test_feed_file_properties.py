import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobraker_adapters.sources.feed_file import FIELDS, FeedFormat, FileJobSource
from jobraker_core.jobs.model import JobDraft, RejectedRecord

BOM = b"\xef\xbb\xbf"
GARBAGE_LINE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.sampled_from(
        [
            b"\xef\xbb\xbf",
            b"{}",
            b"[]",
            b"\x00",
            b"\r",
            b'{"salary_min": 1e999}',
            b'{"source_id": "a", "title": "t", "description": "d"}',
            b"[" * 5000,
        ]
    ),
).map(lambda raw: raw.replace(b"\n", b" "))

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
# every documented field, plus one the format does not know
FIELD_NAMES = st.sampled_from([*FIELDS, "other"])
RECORD = st.dictionaries(FIELD_NAMES, JSON_VALUE, max_size=12)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fetch_bytes(body: bytes, fmt: FeedFormat) -> list[JobDraft | RejectedRecord]:
    """Read raw bytes as a feed of the given format."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"feed.{fmt.value}"
        path.write_bytes(body)
        return list(FileJobSource(path, "file:prop", fmt).fetch())


@SETTINGS
@given(st.lists(GARBAGE_LINE, max_size=8))
def test_garbage_jsonl_lines_each_yield_one_draft_or_rejection(lines):
    """Arbitrary bytes never crash the JSONL reader: each non-blank line gives exactly one item."""
    items = fetch_bytes(b"".join(line + b"\n" for line in lines), FeedFormat.JSONL)
    assert all(isinstance(item, JobDraft | RejectedRecord) for item in items)
    if lines and lines[0].startswith(BOM):  # a byte-order mark opening the file is not content
        lines = [lines[0][len(BOM) :], *lines[1:]]
    assert len(items) == sum(1 for line in lines if line.strip())


@SETTINGS
@given(st.lists(RECORD, max_size=6))
def test_arbitrary_json_records_each_yield_one_draft_or_rejection(records):
    """Any JSON object, with any values in the known fields, becomes a draft or a rejection."""
    body = "".join(json.dumps(record) + "\n" for record in records).encode()
    items = fetch_bytes(body, FeedFormat.JSONL)
    assert len(items) == len(records)
    for number, item in enumerate(items, start=1):
        assert isinstance(item, JobDraft | RejectedRecord)
        if isinstance(item, RejectedRecord):
            assert item.ref == f"line {number}"
            assert item.reason


@SETTINGS
@given(st.lists(GARBAGE_LINE, max_size=8))
def test_garbage_csv_rows_never_crash(lines):
    """Under a valid header, arbitrary rows only ever give drafts or rejections."""
    body = b"source_id,title,description,salary_min,salary_currency,posted_at\n" + b"".join(
        line + b"\n" for line in lines
    )
    items = fetch_bytes(body, FeedFormat.CSV)
    assert all(isinstance(item, JobDraft | RejectedRecord) for item in items)
    assert len(items) <= len(lines)
