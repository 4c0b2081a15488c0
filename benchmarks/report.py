"""Shared by the benchmarks' reports: percentiles, and a section of ``docs/benchmarks.md``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def splice_section(path: Path, start: str, end: str, section: str) -> None:
    """Replace the text from marker ``start`` to marker ``end`` (``section`` carries both).

    When the markers are not in the file yet, the section is appended; a missing file is left
    alone (the summary is ``python -m benchmarks``'s to create).
    """
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
