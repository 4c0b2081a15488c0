"""The PostgreSQL adapter's explicit (de)serialisation of profiles: lossless, tolerant of gaps."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.postgres.profiles import (
    preferences_from_json,
    preferences_to_json,
    profile_from_row,
    profile_to_row,
)
from jobraker_core.accounts.profile import (
    JobPreferences,
    Place,
    Profile,
    SalaryFloor,
    WorkAuthorization,
)
from jobraker_core.jobs.model import EmploymentType, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod
from profile_builders import full_profile

words = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=20
)
places = st.builds(Place, city=words, country_code=st.sampled_from(["GB", "DE", "US", None]))
floors = st.builds(
    SalaryFloor,
    amount=st.decimals(min_value=0, max_value=40, places=2),
    currency=st.sampled_from(["GBP", "EUR", "USD"]),
    period=st.sampled_from(list(SalaryPeriod)),
)
preferences = st.builds(
    JobPreferences,
    titles=st.lists(words, max_size=5),
    locations=st.lists(places, max_size=3),
    remote_modes=st.lists(st.sampled_from(list(RemoteMode))),
    salary_floor=st.none() | floors,
    employment_types=st.lists(st.sampled_from(list(EmploymentType))),
    industries=st.lists(words, max_size=3),
    excluded_companies=st.lists(words, max_size=3),
    willing_to_relocate=st.none() | st.booleans(),
    work_authorization=st.lists(
        st.builds(
            WorkAuthorization,
            country_code=st.sampled_from(["GB", "US", "FR"]),
            authorized=st.booleans(),
        ),
        max_size=3,
        unique_by=lambda entry: entry.country_code,
    ),
    needs_sponsorship=st.none() | st.booleans(),
    notice_period_days=st.none() | st.integers(min_value=0, max_value=365),
)


@given(preferences)
def test_preferences_survive_json(prefs):
    """Any preferences written as JSON (and through a JSON text) read back equal."""
    assert preferences_from_json(json.loads(json.dumps(preferences_to_json(prefs)))) == prefs


def test_amounts_travel_as_decimal_strings():
    """A salary floor's amount is written as a decimal string, never a float."""
    prefs = JobPreferences(salary_floor=SalaryFloor(Decimal("0.10"), "GBP"))
    assert preferences_to_json(prefs)["salary_floor"]["amount"] == "0.10"


def test_missing_keys_read_as_not_given():
    """A document written before a preference existed reads with that preference unset."""
    assert preferences_from_json({"titles": ["Engineer"]}) == JobPreferences(titles=("Engineer",))
    assert preferences_from_json({}) == JobPreferences()


def test_a_row_maps_back_to_the_profile():
    """A full profile becomes column values and comes back from them unchanged."""
    profile = full_profile()
    row = profile_to_row(profile)
    documents = {k: json.loads(json.dumps(v.obj)) for k, v in row.items() if hasattr(v, "obj")}
    assert profile_from_row({**row, **documents}) == profile


def test_an_empty_profile_row_maps_back():
    """Null documents read as the empty profile."""
    user_id = uuid.uuid4()
    row = {
        "user_id": user_id,
        "name": None,
        "headline": None,
        "email": None,
        "phone": None,
        "links": None,
        "locations": None,
        "preferences": None,
        "updated_at": None,
    }
    assert profile_from_row(row) == Profile.empty(user_id)
