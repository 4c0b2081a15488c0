"""The flag rules: pure functions of a job, its fingerprint and its peers, each with evidence.

Peers are the fingerprints of other jobs with the same folded title (what the repository finds
cheaply). Two descriptions are near-duplicates when their SimHashes differ in at most
``NEAR_BITS`` of 64 bits (unrelated texts differ in about 32).
"""

from __future__ import annotations

import hashlib
import re
import statistics
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final
from urllib.parse import urlsplit

from jobraker_core.jobs.model import JobPosting, RemoteMode, company_words
from jobraker_core.jobs.text import fold
from jobraker_core.moderation.model import Decision, Finding, Fingerprint, FlagRule, Verdict

NEAR_BITS: Final = 10
MASS_PLACES: Final = 5
REPOST_AFTER: Final = timedelta(days=30)
SALARY_SAMPLES: Final = 8
SALARY_RATIO: Final = Decimal("2.5")
_SHINGLE: Final = 2
_MASK: Final = (1 << 64) - 1

_TEST_TITLE: Final = re.compile(
    r"\b(?:test(?:ing)?\s+(?:job|posting|position|role|listing|req)|do\s+not\s+apply|"
    r"please\s+ignore|ignore\s+this|lorem\s+ipsum|asdf+|dummy\s+(?:job|posting)|placeholder)\b"
    r"|^\s*(?:test|testing|tbd|xxx+)\s*$",
    re.IGNORECASE,
)
_PAYMENT: Final = re.compile(
    r"\b(?:(?:registration|training|application|processing|onboarding|starter\s+kit|equipment)"
    r"\s+fee|pay\s+(?:a|the|an|us)\s+(?:small\s+)?(?:fee|deposit)|refundable\s+deposit|"
    r"western\s+union|moneygram|gift\s*cards?|send\s+(?:us\s+)?money|wire\s+transfer\s+to|"
    r"(?:bitcoin|crypto)\s+(?:payment|deposit)|"
    r"(?:copy|scan|photo)\s+of\s+your\s+(?:passport|id|identity\s+card|driver'?s\s+licen[cs]e)|"
    r"(?:social\s+security|bank\s+account)\s+(?:number|details)\s+(?:to\s+apply|up\s*front|"
    r"before))\b",
    re.IGNORECASE,
)
_EMAIL: Final = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
FREE_MAIL: Final = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "yandex.com",
        "yandex.ru",
        "protonmail.com",
        "proton.me",
        "qq.com",
        "163.com",
    }
)
_AGENCY_NAME: Final = re.compile(
    r"\b(?:recruit(?:ment|ing|ers?)|staffing|personnel|resourcing|talent\s+(?:solutions|partners)|"
    r"headhunt(?:ers?|ing)|employment\s+agency)\b",
    re.IGNORECASE,
)
_AGENCY_TEXT: Final = re.compile(
    r"\b(?:(?:on\s+behalf\s+of|working\s+with|partnered\s+with)\s+(?:our|a|an)\s+"
    r"(?:client|leading|well[- ]known)|our\s+client\s+is|for\s+our\s+client|"
    r"(?:recruitment|staffing)\s+agency|acting\s+as\s+an\s+employment\s+(?:agency|business))\b",
    re.IGNORECASE,
)


# ----------------------------------------------------------------------------- fingerprints


def simhash(text: str) -> int:
    """A 64-bit SimHash of the folded text's words and word pairs (0 for an empty text)."""
    words = fold(text).split()
    if not words:
        return 0
    grams = words + [" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)]
    weights = [0] * 64
    for gram in grams:
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0) & _MASK


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & _MASK).bit_count()


def title_key(title: str) -> str:
    """The folded title jobs are compared under."""
    return fold(title)


def fingerprint(job: JobPosting, *, link_checked_at: datetime | None = None) -> Fingerprint:
    """The job's fingerprint."""
    place = (
        "remote"
        if job.location.remote is RemoteMode.REMOTE
        else fold(job.location.city or job.location.display or "")
    )
    salary = job.salary
    annual: Decimal | None = None
    if salary is not None and not salary.estimated:
        annual = (salary.annual_low + salary.annual_high) / 2
    return Fingerprint(
        job_id=job.id,
        title_key=title_key(job.title),
        company_key=company_words(job.company),
        simhash=simhash(job.description),
        place=place,
        source=job.source,
        first_seen=job.first_seen,
        posted_at=job.posted_at,
        annual_salary=annual,
        currency=salary.currency if salary is not None and annual is not None else None,
        link_checked_at=link_checked_at,
    )


def _near(own: Fingerprint, peers: Iterable[Fingerprint]) -> list[Fingerprint]:
    return [
        p
        for p in peers
        if p.job_id != own.job_id
        and p.title_key == own.title_key
        and distance(p.simhash, own.simhash) <= NEAR_BITS
    ]


def _order(fp: Fingerprint) -> tuple[datetime, str]:
    return (fp.first_seen, str(fp.job_id))


def _ids(items: Iterable[Fingerprint], limit: int = 5) -> str:
    return ",".join(str(fp.job_id) for fp in sorted(items, key=_order)[:limit])


# ----------------------------------------------------------------------------- the rules


def duplicate_cluster(own: Fingerprint, peers: Sequence[Fingerprint]) -> Finding | None:
    """Near-duplicates across sources or companies: every member but the first seen is flagged."""
    near = [
        p for p in _near(own, peers) if p.source != own.source or p.company_key != own.company_key
    ]
    if not near:
        return None
    cluster = [own, *near]
    first = min(cluster, key=_order)
    if first.job_id == own.job_id:
        return None
    return Finding.of(
        FlagRule.DUPLICATE,
        canonical_job=first.job_id,
        members=len(cluster),
        sources=",".join(sorted({fp.source for fp in cluster})),
        companies=",".join(sorted({fp.company_key or "(none)" for fp in cluster})),
        distance=distance(first.simhash, own.simhash),
    )


def repost(own: Fingerprint, peers: Sequence[Fingerprint]) -> Finding | None:
    """An old job posted again: re-dated long after first seen, or a copy of an old one."""
    if own.posted_at is not None and own.posted_at - own.first_seen > REPOST_AFTER:
        return Finding.of(
            FlagRule.REPOST,
            first_seen=own.first_seen.date().isoformat(),
            posted_at=own.posted_at.date().isoformat(),
            days_between=(own.posted_at - own.first_seen).days,
        )
    older = [
        p
        for p in _near(own, peers)
        if p.company_key == own.company_key and own.first_seen - p.first_seen > REPOST_AFTER
    ]
    if not older:
        return None
    original = min(older, key=_order)
    return Finding.of(
        FlagRule.REPOST,
        original_job=original.job_id,
        original_first_seen=original.first_seen.date().isoformat(),
        days_between=(own.first_seen - original.first_seen).days,
    )


def mass_posting(own: Fingerprint, peers: Sequence[Fingerprint]) -> Finding | None:
    """The same job of one company posted in ``MASS_PLACES`` or more places."""
    same = [p for p in _near(own, peers) if p.company_key == own.company_key]
    places = sorted({fp.place for fp in [own, *same] if fp.place})
    if len(places) < MASS_PLACES:
        return None
    return Finding.of(
        FlagRule.MASS_POSTING,
        places=len(places),
        sample_places=", ".join(places[:8]),
        postings=len(same) + 1,
    )


def staffing_agency(
    job: JobPosting, own: Fingerprint, peers: Sequence[Fingerprint]
) -> Finding | None:
    """An agency's copy: agency wording or name, and a client phrase or the employer's original."""
    name = _AGENCY_NAME.search(job.company or "")
    text = _AGENCY_TEXT.search(job.description)
    originals = [p for p in _near(own, peers) if p.company_key != own.company_key]
    if not (name or text) or not (text or originals):
        return None
    evidence: dict[str, object] = {}
    if name:
        evidence["company_wording"] = name.group(0)
    if text:
        evidence["phrase"] = text.group(0)
    if originals:
        evidence["original_jobs"] = _ids(originals)
    return Finding.of(FlagRule.STAFFING_AGENCY, **evidence)


def internal_test_posting(job: JobPosting) -> Finding | None:
    """An internal test posting, by its title (``Test job - do not apply``)."""
    found = _TEST_TITLE.search(job.title)
    if found is None:
        return None
    return Finding.of(FlagRule.TEST_POSTING, title_wording=found.group(0).strip())


def scam_payment(job: JobPosting) -> Finding | None:
    """Asks for money or identity documents up front."""
    found = _PAYMENT.search(job.description)
    if found is None:
        return None
    start = max(0, found.start() - 60)
    return Finding.of(
        FlagRule.SCAM_PAYMENT,
        phrase=found.group(0),
        context=" ".join(job.description[start : found.end() + 60].split()),
    )


def _domain_words(domain: str) -> set[str]:
    labels = domain.lower().split(".")
    return {word for label in labels[:-1] for word in re.split(r"[-_]", label) if len(word) > 2}  # noqa: PLR2004


def _site_domains(job: JobPosting) -> set[str]:
    domains: set[str] = set()
    for url in (job.url, job.apply_url):
        host = urlsplit(url).hostname if url else None
        if host:
            domains.add(host.lower().removeprefix("www."))
    return domains


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


def _initials_match(domain: str, company: set[str], ordered: list[str]) -> bool:
    """Whether the domain's first label plausibly names the company.

    It reads as the company's initials (``fnf`` for "Fidelity National Financial"), or its
    letters all come from them (``gnjumc``), or it starts with the company's first word, or a
    company word's first four letters appear in it.
    """
    label = domain.split(".", maxsplit=1)[0].replace("-", "")
    initials = "".join(word[0] for word in ordered if word)
    if len(label) >= 2 and len(initials) >= 2 and _is_subsequence(label, initials):  # noqa: PLR2004
        return True
    if len(initials) >= 3 and _is_subsequence(initials, label):  # noqa: PLR2004
        return True
    if len(label) >= 3 and len(initials) >= 3 and set(label) <= set(initials) | {"c", "o", "i"}:  # noqa: PLR2004
        return True
    if ordered and len(ordered[0]) >= 2 and label.startswith(ordered[0]):  # noqa: PLR2004
        return True
    return any(
        (len(word) > 3 and word[:4] in label) or (len(word) == 3 and label.startswith(word))  # noqa: PLR2004
        for word in company
    )


def scam_contact(job: JobPosting) -> Finding | None:
    """A contact e-mail on a free-mail domain, or on a domain unrelated to the company."""
    ordered = [w for w in fold(job.company or "").split() if w not in {"of", "the", "and", "for"}]
    company = set(company_words(job.company).split())
    sites = _site_domains(job)
    for match in _EMAIL.finditer(job.description):
        domain = match.group(1).lower()
        if domain in FREE_MAIL:
            return Finding.of(
                FlagRule.SCAM_CONTACT,
                email_domain=domain,
                company=job.company or "(none)",
                why="free e-mail provider",
            )
        related = any(
            domain == s or domain.endswith("." + s) or s.endswith("." + domain) for s in sites
        )
        words = _domain_words(domain)
        if (
            company
            and not related
            and not (words & company)
            and not _initials_match(domain, company, ordered)
        ):
            return Finding.of(
                FlagRule.SCAM_CONTACT,
                email_domain=domain,
                company=job.company or "(none)",
                why="domain unrelated to the company and its site",
            )
    return None


def scam_salary(own: Fingerprint, peers: Sequence[Fingerprint]) -> Finding | None:
    """A stated salary ``SALARY_RATIO`` times the median the same title pays (enough samples)."""
    if own.annual_salary is None or own.currency is None:
        return None
    samples = [
        p.annual_salary
        for p in peers
        if p.job_id != own.job_id
        and p.title_key == own.title_key
        and p.currency == own.currency
        and p.annual_salary is not None
    ]
    if len(samples) < SALARY_SAMPLES:
        return None
    median = Decimal(statistics.median(samples))
    if median <= 0 or own.annual_salary < median * SALARY_RATIO:
        return None
    return Finding.of(
        FlagRule.SCAM_SALARY,
        annual_salary=f"{own.annual_salary:.0f} {own.currency}",
        title_median=f"{median:.0f} {own.currency}",
        ratio=f"{own.annual_salary / median:.1f}",
        samples=len(samples),
    )


def evaluate(
    job: JobPosting,
    own: Fingerprint,
    peers: Sequence[Fingerprint],
    decisions: Iterable[Decision] = (),
) -> list[Finding]:
    """Every finding of every rule on ``job``, after the admins' decisions for its company.

    A rule the admins allowed for this company raises nothing; a blocked company adds a
    ``blocked_company`` finding.
    """
    found = [
        duplicate_cluster(own, peers),
        repost(own, peers),
        mass_posting(own, peers),
        staffing_agency(job, own, peers),
        internal_test_posting(job),
        scam_payment(job),
        scam_contact(job),
        scam_salary(own, peers),
    ]
    allowed = {d.rule for d in decisions if d.verdict is Verdict.ALLOW and own.company_key}
    blocked = [d for d in decisions if d.verdict is Verdict.BLOCK and own.company_key]
    findings = [f for f in found if f is not None and f.rule not in allowed]
    if blocked:
        findings.append(
            Finding.of(
                FlagRule.BLOCKED_COMPANY,
                company=own.company_key,
                confirmed_as=blocked[0].rule.value,
                confirmed_flag=blocked[0].flag_id or "",
            )
        )
    return findings


def peers_of(fingerprints: Iterable[Fingerprint], job_id: uuid.UUID) -> list[Fingerprint]:
    """The fingerprints that are not ``job_id``'s own."""
    return [fp for fp in fingerprints if fp.job_id != job_id]
