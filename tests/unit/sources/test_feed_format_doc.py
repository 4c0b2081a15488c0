import re
from pathlib import Path

import pytest

from jobraker_adapters.sources.feed_file import FIELDS, FeedFormat, FileJobSource
from jobraker_core.jobs.model import JobDraft

DOC = Path(__file__).resolve().parents[3] / "docs" / "feed-format.md"


def example(language: str) -> str:
    """Return the first fenced example of ``language`` in the doc."""
    match = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"no {language} example in {DOC}"
    return match.group(1)


@pytest.mark.parametrize(
    ("language", "fmt", "count"), [("json", FeedFormat.JSONL, 3), ("csv", FeedFormat.CSV, 2)]
)
def test_the_documented_examples_parse(tmp_path, language, fmt, count):
    """The JSON Lines and CSV examples in docs/feed-format.md are valid feeds."""
    path = tmp_path / f"example.{fmt.value}"
    path.write_text(example(language), encoding="utf-8")
    items = list(FileJobSource(path, "file:example", fmt).fetch())
    assert len(items) == count
    assert all(isinstance(item, JobDraft) for item in items), items


def test_every_field_is_documented():
    """Each field the parser reads has a row in the documentation's field table."""
    text = DOC.read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"`{name}`" in text, name
