from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jobraker_adapters.sources.adzuna import COUNTRY_CURRENCIES, map_result
from jobraker_core.jobs.model import EmploymentType, JobDraft, Location, RejectedRecord
from jobraker_core.jobs.salary import Salary, SalaryPeriod

RESULT = {
    "__CLASS__": "Adzuna::API::Response::Job",
    "id": "5701856729",
    "adref": "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    "title": "<strong>Javascript</strong> Developer",
    "description": "JavaScript Developer wanted to build things …",
    "created": "2013-11-08T18:07:39Z",
    "redirect_url": "https://www.adzuna.co.uk/jobs/land/ad/129698749?se=x&utm_medium=api",
    "company": {
        "__CLASS__": "Adzuna::API::Response::Company",
        "display_name": "Corporate Project Solutions",
    },
    "location": {
        "__CLASS__": "Adzuna::API::Response::Location",
        "display_name": "Marlow, Buckinghamshire",
        "area": ["UK", "South East England", "Buckinghamshire", "Marlow"],
    },
    "category": {
        "__CLASS__": "Adzuna::API::Response::Category",
        "tag": "it-jobs",
        "label": "IT Jobs",
    },
    "salary_min": 50000,
    "salary_max": 55000,
    "salary_is_predicted": "0",
    "contract_type": "permanent",
    "contract_time": "full_time",
    "latitude": 51.571999,
    "longitude": -0.776902,
}


def draft_of(result: dict[str, object], country: str = "gb") -> JobDraft:
    """Map a result and assert it became a draft."""
    item = map_result(result, country, "adzuna:page 1 #1")
    assert isinstance(item, JobDraft), item
    return item


def test_every_field_of_a_result_is_mapped():
    """A full §1.4 result maps to a draft with every field typed and highlights removed."""
    assert draft_of(RESULT) == JobDraft(
        source="adzuna",
        source_id="5701856729",
        title="Javascript Developer",
        description="JavaScript Developer wanted to build things …",
        company="Corporate Project Solutions",
        location=Location(
            display="Marlow, Buckinghamshire",
            city="Marlow",
            region="South East England",
            country_code="GB",
        ),
        salary=Salary(Decimal(50000), Decimal(55000), "GBP", SalaryPeriod.YEAR, estimated=False),
        employment_type=EmploymentType.FULL_TIME,
        category="IT Jobs",
        posted_at=datetime(2013, 11, 8, 18, 7, 39, tzinfo=UTC),
        url="https://www.adzuna.co.uk/jobs/land/ad/129698749?se=x&utm_medium=api",
        apply_url="https://www.adzuna.co.uk/jobs/land/ad/129698749?se=x&utm_medium=api",
    )


def test_a_minimal_result_maps_with_the_optional_keys_absent():
    """Results without company, salary, contract or category keys are normal."""
    minimal = {
        "id": "1",
        "title": "Cleaner",
        "description": "Clean.",
        "location": {"display_name": "UK", "area": ["UK"]},
    }
    draft = draft_of(minimal)
    assert draft.company is None
    assert draft.salary is None
    assert draft.employment_type is None
    assert draft.category is None
    assert draft.posted_at is None
    assert draft.url is None
    assert draft.location == Location(display="UK", country_code="GB")


@pytest.mark.parametrize("flag", ["1", 1, True, "true"])
def test_predicted_salaries_are_estimated(flag):
    """``salary_is_predicted`` as "1", 1 or true marks the salary as an estimate."""
    salary = draft_of({**RESULT, "salary_is_predicted": flag}).salary
    assert salary is not None
    assert salary.estimated is True


@pytest.mark.parametrize("flag", ["0", 0, False, None])
def test_stated_salaries_are_not_estimated(flag):
    """``salary_is_predicted`` as "0", 0, false or missing means the employer stated it."""
    salary = draft_of({**RESULT, "salary_is_predicted": flag}).salary
    assert salary is not None
    assert salary.estimated is False


@pytest.mark.parametrize(("country", "currency"), sorted(COUNTRY_CURRENCIES.items()))
def test_salaries_are_in_the_country_currency(country, currency):
    """Salaries are annual, in the currency of the country searched."""
    draft = draft_of(RESULT, country)
    assert draft.salary is not None
    assert (draft.salary.currency, draft.salary.period) == (currency, SalaryPeriod.YEAR)
    assert draft.location.country_code == country.upper()


def test_one_salary_bound_is_enough_and_numbers_may_be_strings_or_floats():
    """A result with only ``salary_max`` (a float or numeric string) keeps that bound."""
    draft = draft_of({**RESULT, "salary_min": None, "salary_max": "42000.5"})
    assert draft.salary == Salary(None, Decimal("42000.5"), "GBP")


def test_an_inconsistent_salary_is_dropped_not_the_job():
    """A salary whose minimum exceeds its maximum is dropped; the job is kept."""
    assert draft_of({**RESULT, "salary_min": 60000, "salary_max": 50000}).salary is None


@pytest.mark.parametrize(
    ("contract_type", "contract_time", "expected"),
    [
        ("permanent", "full_time", EmploymentType.FULL_TIME),
        (None, "part_time", EmploymentType.PART_TIME),
        ("contract", "full_time", EmploymentType.CONTRACT),
        ("contract", None, EmploymentType.CONTRACT),
        ("permanent", None, None),
        (None, None, None),
    ],
)
def test_contract_type_and_time_map_to_employment_type(contract_type, contract_time, expected):
    """A contract is CONTRACT whatever its hours; otherwise the hours decide."""
    result = {**RESULT, "contract_type": contract_type, "contract_time": contract_time}
    assert draft_of(result).employment_type is expected


@pytest.mark.parametrize(
    ("area", "city", "region"),
    [
        (["UK"], None, None),
        (["UK", "London"], None, "London"),
        (["UK", "London", "Camden"], "Camden", "London"),
        (
            ["US", "California", "Santa Clara County", "San Jose", "Downtown"],
            "Downtown",
            "California",
        ),
    ],
)
def test_location_area_levels(area, city, region):
    """``area[1]`` is the region and the last level (from the third on) the city."""
    location = draft_of({**RESULT, "location": {"display_name": "x", "area": area}}).location
    assert (location.city, location.region) == (city, region)


def test_integer_ids_become_strings():
    """An id sent as a number is kept as its string."""
    assert draft_of({**RESULT, "id": 123}).source_id == "123"


def test_a_bad_created_time_or_redirect_is_left_out():
    """An unparseable ``created`` or a non-http ``redirect_url`` leaves that field empty."""
    draft = draft_of({**RESULT, "created": "last week", "redirect_url": "javascript:alert(1)"})
    assert (draft.posted_at, draft.url, draft.apply_url) == (None, None, None)


@pytest.mark.parametrize(
    ("result", "ref", "reason"),
    [
        ({**RESULT, "id": None}, "adzuna:page 1 #1", "result has no id"),
        ({**RESULT, "title": "<strong></strong>"}, "adzuna:5701856729", "result has no title"),
        ({**RESULT, "description": ""}, "adzuna:5701856729", "result has no description"),
        (
            {"__CLASS__": "x"},
            "adzuna:page 1 #1",
            "result has no id and no title and no description",
        ),
        ("not an object", "adzuna:page 1 #1", "result is not a JSON object"),
    ],
)
def test_unmappable_results_are_rejected_with_a_ref(result, ref, reason):
    """A result that cannot be mapped is a rejection naming its id (else page and index)."""
    assert map_result(result, "gb", "adzuna:page 1 #1") == RejectedRecord(ref, reason)
