# ruff: noqa: INP001 - a stand-alone dev script, not part of any package
"""Build the shipped demo corpus from the LinkedIn Job Postings 2023-24 sample (a dev-time script).

Usage::

    python scripts/make_demo_feed.py [SOURCE_CSV] [OUTPUT_JSONL]

SOURCE_CSV defaults to ``../shared/data/linkedin_postings_2023_24_sample500.csv`` (500 real
postings from the Kaggle "LinkedIn Job Postings 2023-24" set by arshkon, CC BY-SA 4.0);
OUTPUT_JSONL to ``src/jobraker_adapters/sources/data/demo_jobs.jsonl``. Only the output ships; the
product never reads the source CSV. The output is in Jobraker's feed format
(``docs/feed-format.md``) and is deterministic: running the script twice writes the same bytes.

Mapping:

- ``job_id`` → ``source_id``; ``title``, ``company_name`` → ``company``; ``description`` (plus
  ``skills_desc`` after a blank line when the posting has one) → ``description``.
- ``location`` → ``location`` as written, ``country`` ``US`` (the whole set is US postings), and
  ``city``/``region`` parsed from ``"City, ST"``, ``"City, State, United States"``,
  ``"State, United States"`` and ``"City, State Metropolitan Area"``; other metro names
  (``"Greater Philadelphia"``) keep only the display text.
- ``remote_allowed`` ``1`` → ``remote: true``; blank means "not stated", so ``remote`` is left out.
- ``min_salary``/``max_salary`` (else ``med_salary`` as both bounds), ``currency`` and
  ``pay_period`` (HOURLY → hour, WEEKLY → week, MONTHLY → month, YEARLY → year; BIWEEKLY → week
  with the amounts halved; the sample has no BIWEEKLY rows).
- ``work_type`` → ``employment_type`` (FULL_TIME, PART_TIME, CONTRACT, TEMPORARY, INTERNSHIP);
  VOLUNTEER and OTHER have no equivalent and are left out.
- ``original_listed_time`` (else ``listed_time``), epoch milliseconds → ``posted_at`` (UTC).
- ``job_posting_url`` → ``url``; ``application_url`` → ``apply_url`` (``https://`` is added to the
  two that lack a scheme, e.g. ``www.example.org``).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "linkedin_postings_2023_24_sample500.csv"
DEFAULT_OUTPUT = ROOT / "src" / "jobraker_adapters" / "sources" / "data" / "demo_jobs.jsonl"

PERIODS = {"HOURLY": "hour", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
WORK_TYPES = {
    "FULL_TIME": "full_time",
    "PART_TIME": "part_time",
    "CONTRACT": "contract",
    "TEMPORARY": "temporary",
    "INTERNSHIP": "internship",
}
US_STATE_CODE = re.compile(r"^[A-Z]{2}$")
METRO = re.compile(r"^(?P<city>[^,]+), (?P<region>.+?) Metropolitan Area$")


def _number(raw: str) -> Decimal | None:
    raw = raw.strip()
    if not raw:
        return None
    value = Decimal(raw)
    return value.to_integral_value() if value == value.to_integral_value() else value


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def place(location: str) -> dict[str, str]:
    """Return ``city``/``region`` parsed from a LinkedIn location string (may be empty)."""
    parts = [p.strip() for p in location.split(",")]
    if parts and parts[-1] == "United States":
        parts = parts[:-1]
    if len(parts) == 2 and US_STATE_CODE.match(parts[1]):  # noqa: PLR2004 - "City, ST"
        return {"city": parts[0], "region": parts[1]}
    if len(parts) == 2:  # noqa: PLR2004 - "City, State" (from "City, State, United States")
        metro = METRO.match(location)
        if metro:
            return {"city": metro["city"], "region": metro["region"]}
        return {"city": parts[0], "region": parts[1]}
    if len(parts) == 1 and parts[0] and location.endswith(", United States"):
        return {"region": parts[0]}
    return {}


def _salary(row: dict[str, str]) -> dict[str, object]:
    low, mid, high = (_number(row[k]) for k in ("min_salary", "med_salary", "max_salary"))
    if low is None and high is None:
        low = high = mid
    if low is None and high is None:
        return {}
    period_raw = row["pay_period"].strip().upper()
    if period_raw == "BIWEEKLY":
        period = "week"
        low = None if low is None else low / 2
        high = None if high is None else high / 2
    else:
        period = PERIODS[period_raw]
    salary: dict[str, object] = {}
    if low is not None:
        salary["salary_min"] = _plain(low)
    if high is not None:
        salary["salary_max"] = _plain(high)
    salary["salary_currency"] = row["currency"].strip() or "USD"
    salary["salary_period"] = period
    return salary


def _posted_at(row: dict[str, str]) -> str | None:
    raw = row["original_listed_time"].strip() or row["listed_time"].strip()
    if not raw:
        return None
    moment = datetime.fromtimestamp(float(raw) / 1000, tz=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _apply_url(raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    return url if re.match(r"^https?://", url) else f"https://{url}"


def convert(row: dict[str, str]) -> dict[str, object]:
    """Return one feed record for one LinkedIn posting row."""
    description = row["description"].strip()
    skills = row["skills_desc"].strip()
    if skills and skills not in description:
        description = f"{description}\n\n{skills}"
    record: dict[str, object] = {
        "source_id": row["job_id"].strip(),
        "title": row["title"].strip(),
        "company": row["company_name"].strip() or None,
        "description": description,
        "location": row["location"].strip() or None,
        **place(row["location"].strip()),
        "country": "US",
        "remote": True if row["remote_allowed"].strip() in {"1", "1.0"} else None,
        **_salary(row),
        "employment_type": WORK_TYPES.get(row["work_type"].strip().upper()),
        "posted_at": _posted_at(row),
        "url": row["job_posting_url"].strip() or None,
        "apply_url": _apply_url(row["application_url"]),
    }
    return {key: value for key, value in record.items() if value is not None}


def main(argv: list[str]) -> int:
    """Convert the CSV named in ``argv`` (or the default) into the demo feed."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT  # noqa: PLR2004
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(convert(row), ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.write(f"wrote {len(rows)} jobs to {output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
