"""Shared by the benchmarks' reports: percentiles, and a section of ``docs/benchmarks.md``."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
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


_SECTION = re.compile(r"<!-- (?P<name>[\w-]+):start -->.*?<!-- (?P=name):end -->", re.DOTALL)


def marked_sections(text: str) -> dict[str, str]:
    """The sections of ``text`` between ``<!-- name:start -->`` and ``<!-- name:end -->``, by name.

    ``python -m benchmarks`` rewrites ``docs/benchmarks.md`` from its own results; the sections
    other benchmarks spliced in are carried over with these.
    """
    return {found["name"]: found[0] for found in _SECTION.finditer(text)}


def keep_and_render(
    result: dict[str, Any],
    out: Path,
    render: Callable[[list[dict[str, Any]]], list[str]],
    markers: tuple[str, str],
    doc: Path,
) -> None:
    """Write ``result`` to ``out``, then re-render ``doc``'s section from every kept result.

    The kept results are the files of ``out``'s folder named like it (``<name>-<jobs>.json``),
    in order of their ``params.jobs``; ``render`` makes the section's lines, markers included.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    prefix = out.stem.rsplit("-", 1)[0]
    results = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(out.parent.glob(f"{prefix}-*.json"))
    ]
    results.sort(key=lambda r: r["params"]["jobs"])
    splice_section(doc, *markers, "\n".join(render(results)))


def machine_line(info: dict[str, Any]) -> str:
    """The sentence under a section saying what the numbers were measured on."""
    return (
        f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores (shared), Python "
        f"{info.get('python', '?')}, psycopg {info.get('psycopg', '?')}; PostgreSQL is the "
        "embedded server with its default settings."
    )
