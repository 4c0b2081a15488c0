"""A recorded feed of N realistic jobs, derived deterministically from the shipped demo corpus."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

_CITIES = [
    ("New York, NY", "US"),
    ("Austin, TX", "US"),
    ("Seattle, WA", "US"),
    ("Chicago, IL", "US"),
    ("Boston, MA", "US"),
    ("Denver, CO", "US"),
    ("Atlanta, GA", "US"),
    ("Miami, FL", "US"),
    ("Portland, OR", "US"),
    ("San Diego, CA", "US"),
    ("Phoenix, AZ", "US"),
    ("Dallas, TX", "US"),
]
_LEVELS = ["", "Senior ", "Junior ", "Lead ", "Principal ", "Staff "]


def write_feed(path: Path, count: int, *, seed: int = 7) -> Path:
    """Write ``count`` distinct jobs as JSON Lines to ``path`` and return it.

    Each line is a demo posting with a new source id, a seniority prefix, a city and a company
    suffix chosen so every line has a distinct canonical key; descriptions keep their real length.
    """
    base_text = (
        resources.files("jobraker_adapters.sources") / "data" / "demo_jobs.jsonl"
    ).read_text(encoding="utf-8")
    base = [json.loads(line) for line in base_text.splitlines() if line.strip()]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            job = dict(base[i % len(base)])
            city, country = _CITIES[(i // len(base)) % len(_CITIES)]
            job["source_id"] = f"bench-{i}"
            job["title"] = f"{_LEVELS[rng.randrange(len(_LEVELS))]}{job['title']}"
            job["company"] = f"{job.get('company') or 'Acme'} {i // (len(base) * len(_CITIES))}"
            job["location"] = city
            job.pop("city", None)  # the demo's own city/region would win over the new location
            job.pop("region", None)
            job["country"] = country
            out.write(json.dumps(job) + "\n")
    return path
