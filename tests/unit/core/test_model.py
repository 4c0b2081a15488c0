"""Job postings: normalisation from drafts, merging sightings, locations and search queries."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from core_builders import NOW, draft, posting
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import (
    MAX_DESCRIPTION_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_RECENCY_DAYS,
    MAX_TITLE_LENGTH,
    Change,
    EmploymentType,
    JobDraft,
    JobPosting,
    JobQuery,
    JobSort,
    Location,
    RemoteMode,
    SourceRef,
    canonical_job_key,
    posted_since,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod

LATER = NOW + timedelta(hours=1)
GBP_50K = Salary(Decimal(45_000), Decimal(55_000), "GBP")


# ----------------------------------------------------------------------------- from_draft


def test_from_draft_strips_html_from_the_description():
    """An HTML description is stored as plain text."""
    job = posting(description="<p>Build <b>APIs</b>.</p><script>track()</script><p>Ship.</p>")
    assert job.description == "Build APIs.\n\nShip."


def test_from_draft_puts_the_title_on_one_line():
    """A title with markup and line breaks becomes one clean line."""
    assert posting(title="<b>Senior</b>\n  Python   Developer").title == "Senior Python Developer"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "  <br> "),
        ("title", ""),
        ("description", "<script>x</script>"),
        ("description", " \n "),
    ],
)
def test_from_draft_rejects_empty_title_or_description(field, value):
    """A draft whose title or description is empty once cleaned is refused, naming the field."""
    with pytest.raises(InvalidInput) as caught:
        posting(**{field: value})
    assert caught.value.field == field


def test_from_draft_rejects_an_overlong_title():
    """A title longer than the limit is refused rather than silently cut."""
    with pytest.raises(InvalidInput) as caught:
        posting(title="x" * (MAX_TITLE_LENGTH + 1))
    assert caught.value.field == "title"
    assert len(posting(title="x" * MAX_TITLE_LENGTH).title) == MAX_TITLE_LENGTH


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.example/1",
        "javascript:alert(1)",
        "not a url",
        "http://",
        "https://exa mple.com",
        "//x.example/1",
    ],
)
@pytest.mark.parametrize("field", ["url", "apply_url"])
def test_from_draft_rejects_urls_that_are_not_http(field, url):
    """Only http(s) URLs are stored; anything else is refused, naming the field."""
    with pytest.raises(InvalidInput) as caught:
        posting(**{field: url})
    assert caught.value.field == field


def test_from_draft_rejects_an_overlong_url():
    """A URL beyond the length limit is refused."""
    with pytest.raises(InvalidInput) as caught:
        posting(url="https://x.example/" + "a" * 2_000)
    assert caught.value.field == "url"


def test_apply_url_defaults_to_the_job_url():
    """Without an apply URL, applying happens at the job's URL."""
    assert posting(url=" https://x.example/1 ").apply_url == "https://x.example/1"
    job = posting(url="https://x.example/1", apply_url="https://x.example/1/apply")
    assert job.apply_url == "https://x.example/1/apply"
    assert posting(url=None, apply_url="  ").apply_url is None


def test_from_draft_clips_a_long_description():
    """A description beyond the limit is cut to the limit, without trailing space."""
    job = posting(description=("word " * MAX_DESCRIPTION_LENGTH))
    assert len(job.description) <= MAX_DESCRIPTION_LENGTH
    assert job.description == job.description.strip()
    assert job.description.startswith("word word")


def test_from_draft_cleans_short_fields():
    """Company, category and place names are one line, clipped, and empty ones become None."""
    job = posting(
        company="  <i>Acme</i>\n Ltd ",
        category="x" * (MAX_FIELD_LENGTH + 50),
        location=Location(display=" ", city="  Lon<b>don</b> ", region="\n", country_code="GB"),
    )
    assert job.company == "Acme Ltd"
    assert job.category is not None
    assert len(job.category) == MAX_FIELD_LENGTH
    assert job.location == Location(display=None, city="London", region=None, country_code="GB")
    assert posting(company="   ").company is None


def test_from_draft_makes_posting_times_utc():
    """A naive posting time is taken as UTC; an aware one is converted to UTC."""
    naive = posting(posted_at=datetime(2026, 1, 2, 3, 4))  # noqa: DTZ001 - a naive feed value
    assert naive.posted_at == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    paris = timezone(timedelta(hours=1))
    aware = posting(posted_at=datetime(2026, 1, 2, 3, 4, tzinfo=paris))
    assert aware.posted_at == datetime(2026, 1, 2, 2, 4, tzinfo=UTC)
    assert aware.posted_at is not None
    assert aware.posted_at.tzinfo is UTC


def test_from_draft_records_origin_key_and_times():
    """A new posting names its source, is keyed canonically, and was first and last seen now."""
    job_id = uuid.uuid4()
    source = draft(source="adzuna", source_id="42", url="https://x.example/42")
    job = JobPosting.from_draft(source, job_id=job_id, seen_at=NOW)
    assert (job.id, job.source, job.source_id) == (job_id, "adzuna", "42")
    assert job.sources == (SourceRef("adzuna", "42", "https://x.example/42"),)
    assert job.first_seen == job.last_seen == NOW
    assert job.key == canonical_job_key(
        title=job.title, company=job.company, location=job.location, description=job.description
    )


@pytest.mark.parametrize("field", ["source", "source_id"])
def test_draft_needs_a_source_and_an_id(field):
    """A draft without its source or its id there cannot even be built."""
    with pytest.raises(InvalidInput) as caught:
        draft(**{field: "  "})
    assert caught.value.field == field


# ----------------------------------------------------------------------------- absorb


def test_same_origin_with_same_content_is_unchanged():
    """Seeing a job again, unchanged, at its own source only moves last_seen."""
    job = posting()
    merged, change = job.absorb(posting(seen_at=LATER), seen_at=LATER)
    assert change is Change.UNCHANGED
    assert merged == attrs.evolve(job, last_seen=LATER)


def test_same_origin_replaces_the_content():
    """The owning source's new description replaces the old one."""
    job = posting()
    merged, change = job.absorb(posting(description="New text."), seen_at=LATER)
    assert change is Change.UPDATED
    assert merged.description == "New text."


def test_same_origin_retitling_keeps_identity_and_key():
    """Id, key, owner and first_seen never change, even when the title does."""
    job = posting()
    merged, change = job.absorb(posting(title="Senior Python Developer"), seen_at=LATER)
    assert change is Change.UPDATED
    assert merged.title == "Senior Python Developer"
    assert (merged.id, merged.key, merged.first_seen) == (job.id, job.key, job.first_seen)
    assert (merged.source, merged.source_id) == (job.source, job.source_id)


def test_same_origin_that_omits_a_field_keeps_its_value():
    """A field the sighting leaves empty keeps what was known, so it never flip-flops."""
    job, _ = posting().absorb(posting(source="other", salary=GBP_50K), seen_at=NOW)
    merged, change = job.absorb(posting(salary=None), seen_at=LATER)
    assert change is Change.UNCHANGED
    assert merged.salary == GBP_50K


def test_another_source_adds_a_ref_and_counts_unchanged():
    """The same job from another source adds its SourceRef but does not change the content."""
    job = posting(salary=GBP_50K, category="IT")
    seen = posting(
        source="adzuna",
        source_id="a9",
        title="PYTHON DEVELOPER (m/f/d)",
        description="Other words.",
        url="https://adzuna.example/a9",
        salary=Salary(Decimal(1), None, "GBP"),
        category="Engineering",
    )
    merged, change = job.absorb(seen, seen_at=LATER)
    assert change is Change.UNCHANGED
    assert merged.sources == (*job.sources, SourceRef("adzuna", "a9", "https://adzuna.example/a9"))
    assert (merged.title, merged.description, merged.salary, merged.category) == (
        job.title,
        job.description,
        GBP_50K,
        "IT",
    )
    assert (merged.id, merged.key, merged.first_seen, merged.last_seen) == (
        job.id,
        job.key,
        job.first_seen,
        LATER,
    )


def test_another_source_fills_only_missing_fields():
    """Fields this job lacks are filled from another source; that is an update."""
    job = posting(
        company="Acme",
        category=None,
        employment_type=None,
        posted_at=None,
        location=Location(display="London"),
    )
    seen = posting(
        source="adzuna",
        company="Acme Ltd",
        category="IT",
        employment_type=EmploymentType.CONTRACT,
        salary=GBP_50K,
        posted_at=NOW - timedelta(days=1),
        location=Location(display="London, UK", city="London", country_code="GB"),
    )
    merged, change = job.absorb(seen, seen_at=LATER)
    assert change is Change.UPDATED
    assert merged.company == "Acme"
    assert (merged.category, merged.employment_type, merged.salary) == (
        "IT",
        EmploymentType.CONTRACT,
        GBP_50K,
    )
    assert merged.posted_at == NOW - timedelta(days=1)
    assert merged.location == Location(display="London", city="London", country_code="GB")


def test_a_repost_under_a_new_id_is_not_the_origin():
    """The same source re-posting under a new id adds a ref and replaces nothing."""
    job = posting()
    merged, change = job.absorb(posting(source_id="2", description="Reworded."), seen_at=LATER)
    assert change is Change.UNCHANGED
    assert merged.description == job.description
    assert [(r.source, r.source_id) for r in merged.sources] == [("feed", "1"), ("feed", "2")]


def test_a_known_ref_is_not_added_twice_but_its_url_is_refreshed():
    """Seeing a known ref again keeps one ref per id, with the newest URL."""
    job, _ = posting().absorb(posting(source="adzuna", url="https://a.example/old"), seen_at=NOW)
    merged, _ = job.absorb(posting(source="adzuna", url="https://a.example/new"), seen_at=LATER)
    assert merged.sources == (job.sources[0], SourceRef("adzuna", "1", "https://a.example/new"))


def test_last_seen_never_moves_back():
    """A sighting stamped earlier than the last one leaves last_seen where it was."""
    job = posting(seen_at=LATER)
    merged, _ = job.absorb(posting(), seen_at=NOW)
    assert merged.last_seen == LATER


ORIGINS = [("feed", "1"), ("feed", "2"), ("adzuna", "1")]
contents = st.fixed_dictionaries(
    {
        "description": st.sampled_from(["Build APIs.", "Run services."]),
        "salary": st.sampled_from([None, GBP_50K]),
        "category": st.sampled_from([None, "IT", "Engineering"]),
        "company": st.sampled_from([None, "Acme"]),
    }
)


@st.composite
def sighting_histories(draw, *, consistent: bool) -> list[JobPosting]:
    """Sightings of one job from a few origins; ``consistent`` ones say the same per origin."""
    if consistent:
        said = {origin: draw(contents) for origin in ORIGINS}
        origins = draw(st.lists(st.sampled_from(ORIGINS), min_size=1, max_size=6))
        return [posting(source=s, source_id=i, **said[(s, i)]) for s, i in origins]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ORIGINS), contents), min_size=1, max_size=6))
    return [posting(source=s, source_id=i, **content) for (s, i), content in pairs]


@given(sighting_histories(consistent=False))
def test_absorbing_keeps_identity_and_every_ref(history):
    """Whatever is absorbed, id/key/owner/first_seen stay and no SourceRef is ever lost."""
    first, *later = history
    job = first
    for seen in later:
        merged, _ = job.absorb(seen, seen_at=LATER)
        assert (merged.id, merged.key, merged.first_seen) == (first.id, first.key, first.first_seen)
        assert (merged.source, merged.source_id) == (first.source, first.source_id)
        ids = [(r.source, r.source_id) for r in merged.sources]
        assert ids[: len(job.sources)] == [(r.source, r.source_id) for r in job.sources]
        assert (seen.source, seen.source_id) in ids
        assert len(ids) == len(set(ids))
        job = merged


@given(sighting_histories(consistent=True))
def test_absorbing_the_same_sightings_again_changes_nothing(history):
    """When each origin always says the same, replaying every sighting changes nothing."""
    first, *later = history
    job = first
    for seen in later:
        job, _ = job.absorb(seen, seen_at=LATER)
    replayed = job
    for seen in history:
        replayed, change = replayed.absorb(seen, seen_at=LATER)
        assert change is Change.UNCHANGED
    assert replayed == attrs.evolve(job, last_seen=LATER)


# ----------------------------------------------------------------------------- Location


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location(), ""),
        (Location(display="Central London"), "Central London"),
        (Location(city="Leeds", region="West Yorkshire"), "Leeds, West Yorkshire"),
        (Location(city="Leeds", country_code="GB"), "Leeds, GB"),
        (Location(display="London, GB", country_code="GB"), "London, GB"),
        (Location(display="AUSTIN", country_code="US"), "AUSTIN, US"),
        (Location(country_code="DE"), "DE"),
        (Location(city="Berlin", remote=RemoteMode.HYBRID), "Berlin (hybrid)"),
        (Location(remote=RemoteMode.REMOTE), "remote"),
        (Location(display="Anywhere", city="Ignored"), "Anywhere"),
    ],
)
def test_location_describes_itself_briefly(location, text):
    """describe() gives display text (else city and region), the country once, and the mode."""
    assert location.describe() == text


@pytest.mark.parametrize("code", ["gb", "GBR", "G", "", "1A"])
def test_location_takes_only_upper_case_country_codes(code):
    """A country code is two upper-case letters."""
    with pytest.raises(InvalidInput) as caught:
        Location(country_code=code)
    assert caught.value.field == "country"


# ----------------------------------------------------------------------------- JobQuery


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"salary_min": Decimal(1)}, "currency"),
        ({"salary_max": Decimal(1)}, "currency"),
        ({"salary_min": Decimal(-1), "currency": "GBP"}, "salary_min"),
        ({"salary_max": Decimal("NaN"), "currency": "GBP"}, "salary_max"),
        ({"salary_max": Decimal("Infinity"), "currency": "GBP"}, "salary_max"),
        ({"salary_min": Decimal(2), "salary_max": Decimal(1), "currency": "GBP"}, "salary_min"),
        ({"currency": "gbp"}, "currency"),
        ({"currency": "POUNDS"}, "currency"),
        ({"text": "x" * (MAX_QUERY_LENGTH + 1)}, "q"),
        ({"location": "x" * (MAX_QUERY_LENGTH + 1)}, "location"),
        ({"company": "x" * (MAX_QUERY_LENGTH + 1)}, "company"),
        ({"category": "x" * (MAX_QUERY_LENGTH + 1)}, "category"),
        ({"country": "gb"}, "country"),
        ({"country": "GBR"}, "country"),
    ],
)
def test_query_rejects_bad_filters_naming_them(fields, field):
    """An impossible filter is refused with the name of the parameter at fault."""
    with pytest.raises(InvalidInput) as caught:
        JobQuery(**fields)
    assert caught.value.field == field


def test_query_accepts_the_limits():
    """Filters exactly at their limits are fine."""
    JobQuery(
        text="x" * MAX_QUERY_LENGTH,
        salary_min=Decimal(0),
        salary_max=Decimal(0),
        currency="GBP",
        country="GB",
    )


def _job(**changes) -> JobPosting:
    return posting(**changes)


BASE = _job(
    title="Senior Python Developer",
    company="Acme",
    description="Build café APIs with Django.",
    location=Location(
        display="Greater London",
        city="London",
        region="England",
        country_code="GB",
        remote=RemoteMode.HYBRID,
    ),
    employment_type=EmploymentType.FULL_TIME,
    category="IT Jobs",
    posted_at=NOW - timedelta(days=3),
    salary=Salary(Decimal(25), Decimal(30), "GBP", SalaryPeriod.HOUR),  # 52,000 to 62,400 a year
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (JobQuery(), True),
        (JobQuery(text="python"), True),
        (JobQuery(text="PYTHON django"), True),
        (JobQuery(text="cafe"), True),
        (JobQuery(text="acme senior"), True),
        (JobQuery(text="python java"), False),
        (JobQuery(text="pyth"), False),
        (JobQuery(location="lond"), True),
        (JobQuery(location="ENGLAND"), True),
        (JobQuery(location="greater"), True),
        (JobQuery(location="Paris"), False),
        (JobQuery(country="GB"), True),
        (JobQuery(country="US"), False),
        (JobQuery(remote=RemoteMode.HYBRID), True),
        (JobQuery(remote=RemoteMode.REMOTE), False),
        (JobQuery(employment_type=EmploymentType.FULL_TIME), True),
        (JobQuery(employment_type=EmploymentType.CONTRACT), False),
        (JobQuery(company="acme"), True),
        (JobQuery(company="Acm"), False),
        (JobQuery(category="it jobs"), True),
        (JobQuery(category="IT"), False),
        (JobQuery(posted_since=NOW - timedelta(days=3)), True),
        (JobQuery(posted_since=NOW - timedelta(days=2)), False),
        (JobQuery(currency="GBP"), True),
        (JobQuery(currency="USD"), True),
        (JobQuery(salary_min=Decimal(62_400), currency="GBP"), True),
        (JobQuery(salary_min=Decimal(62_401), currency="GBP"), False),
        (JobQuery(salary_max=Decimal(52_000), currency="GBP"), True),
        (JobQuery(salary_max=Decimal(51_999), currency="GBP"), False),
        (JobQuery(salary_min=Decimal(1), currency="USD"), False),
    ],
)
def test_query_matches_each_filter(query, expected):
    """Each filter holds or fails on its own; salaries compare annualised, in one currency."""
    assert query.matches(BASE) is expected


def test_recency_and_salary_filters_skip_jobs_without_the_data():
    """A job with no posting date or no salary fails a recency or salary filter."""
    bare = _job(posted_at=None, salary=None)
    assert not JobQuery(posted_since=NOW - timedelta(days=30)).matches(bare)
    assert not JobQuery(salary_min=Decimal(1), currency="GBP").matches(bare)
    assert JobQuery(text="python").matches(bare)


def test_relevance_without_text_falls_back_to_date():
    """Sorting by relevance needs search words; without them the order is by date."""
    assert JobQuery().effective_sort is JobSort.DATE
    assert JobQuery(text="!!!").effective_sort is JobSort.DATE
    assert JobQuery(text="python").effective_sort is JobSort.RELEVANCE
    assert JobQuery(sort=JobSort.SALARY).effective_sort is JobSort.SALARY
    assert JobQuery(text="Café-Bar").text_terms == ("cafe", "bar")


@pytest.mark.parametrize("days", [1, 7, MAX_RECENCY_DAYS])
def test_posted_since_counts_back_from_now(days):
    """Posted within N days starts N days before now."""
    assert posted_since(NOW, days) == NOW - timedelta(days=days)


def test_posted_since_without_a_limit_is_none():
    """No recency limit means no lower bound."""
    assert posted_since(NOW, None) is None


@pytest.mark.parametrize("days", [0, -1, MAX_RECENCY_DAYS + 1])
def test_posted_since_refuses_days_out_of_range(days):
    """Recency is between one day and ten years."""
    with pytest.raises(InvalidInput) as caught:
        posted_since(NOW, days)
    assert caught.value.field == "posted_within_days"


def test_drafts_are_values():
    """Drafts compare by value, so fakes and tests can assert on them."""
    assert draft() == draft()
    assert isinstance(draft(), JobDraft)
