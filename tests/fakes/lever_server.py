"""A fake Lever Postings API: a real HTTP server on 127.0.0.1 in Lever's documented shape.

It serves ``GET /v0/postings/{company}?mode=json&skip=N&limit=M`` as a JSON array of postings for
the companies it was given, honouring ``skip``/``limit``, and 404
``{"ok": false, "error": "Document not found"}`` for any other company. Faults as in
``fakes.greenhouse_server.FakeBoardServer``.
"""

from __future__ import annotations

import zlib
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fakes.greenhouse_server import Answer, FakeBoardServer

if TYPE_CHECKING:
    from collections.abc import Iterator

_TITLES = ("Platform Engineer", "Account Executive", "Data Analyst", "Support Specialist")
_PLACES = (
    ("Toronto, Canada", "CA", "hybrid"),
    ("New York, NY", "US", "on-site"),
    ("Remote", "US", "remote"),
    ("London", "GB", "unspecified"),
)
_EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def make_lever_postings(company: str, count: int) -> list[dict[str, Any]]:
    """Return ``count`` deterministic postings of ``company`` in the Postings API's shape.

    Every second posting has a ``salaryRange``; the n-th was created n hours after 2026-01-01.
    """
    postings: list[dict[str, Any]] = []
    for n in range(count):
        place, country, workplace = _PLACES[n % len(_PLACES)]
        posting_id = f"{n:08d}-aaaa-4bbb-8ccc-{zlib.crc32(company.encode()) % 10**12:012d}"
        posting: dict[str, Any] = {
            "id": posting_id,
            "text": _TITLES[n % len(_TITLES)],
            "categories": {
                "commitment": "Full-time" if n % 3 else "Contract",
                "department": "Engineering",
                "location": place,
                "team": "Core",
                "allLocations": [place],
            },
            "country": country,
            "workplaceType": workplace,
            "hostedUrl": f"https://jobs.lever.co/{company}/{posting_id}",
            "applyUrl": f"https://jobs.lever.co/{company}/{posting_id}/apply",
            "createdAt": _EPOCH_MS + n * 3_600_000,
            "descriptionPlain": f"We are looking for a {_TITLES[n % len(_TITLES)]} (posting {n}).",
            "description": f"<div>We are looking for a <b>{_TITLES[n % len(_TITLES)]}</b> "
            f"(posting {n}).</div>",
            "lists": [
                {"text": "What you will do", "content": "<li>Build things</li><li>Ship them</li>"},
                {"text": "Requirements", "content": "<li>Python</li><li>PostgreSQL</li>"},
            ],
            "additionalPlain": "We offer equity.",
            "additional": "<div>We offer equity.</div>",
        }
        if n % 2 == 0:
            posting["salaryRange"] = {
                "min": 90_000,
                "max": 120_000,
                "currency": "USD",
                "interval": "per-year-salary",
            }
        postings.append(posting)
    return postings


class FakeLeverServer(FakeBoardServer):
    """The fake Postings API over ``companies`` (company short name -> its postings)."""

    def __init__(self, companies: dict[str, list[dict[str, Any]]]) -> None:
        """Serve these companies; any other company is 404."""
        self.companies = companies
        super().__init__(self._answer)

    def _answer(self, path: str, query: dict[str, str]) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["v0", "postings"]:
            return 404, {"ok": False, "error": "Not found"}
        postings = self.companies.get(parts[2])
        if postings is None:
            return 404, {"ok": False, "error": "Document not found"}
        skip = int(query.get("skip", "0") or 0)
        limit = int(query.get("limit", "0") or 0) or len(postings)
        return 200, postings[skip : skip + limit]


@contextmanager
def running_fake_lever(companies: dict[str, list[dict[str, Any]]]) -> Iterator[FakeLeverServer]:
    """Run a fake Lever API over ``companies`` for the length of the block."""
    with FakeLeverServer(companies) as server:
        yield server
