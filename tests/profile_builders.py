"""Profiles for tests: a profile with every attribute filled in, and the changes that make it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from jobraker_core.accounts.profile import (
    ContactChanges,
    Link,
    Place,
    PreferenceChanges,
    Profile,
    ProfileChanges,
    SalaryFloor,
    WorkAuthorization,
)
from jobraker_core.jobs.model import EmploymentType, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod

SAVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def full_changes() -> ProfileChanges:
    """Changes that set every attribute of a profile."""
    return ProfileChanges(
        name="Ada Lovelace",
        headline="Analytical engine programmer",
        contact=ContactChanges(
            email="ada@example.com",
            phone="+44 20 7946 0958",
            links=(
                Link(url="https://github.com/ada", label="GitHub"),
                Link(url="https://ada.example.com/"),
            ),
        ),
        locations=(Place(city="London", country_code="GB"),),
        preferences=PreferenceChanges(
            titles=("Software Engineer", "Data Engineer"),
            locations=(Place(city="Berlin", country_code="DE"), Place(country_code="NL")),
            remote_modes=(RemoteMode.REMOTE, RemoteMode.HYBRID),
            salary_floor=SalaryFloor(
                amount=Decimal(65000), currency="GBP", period=SalaryPeriod.YEAR
            ),
            employment_types=(EmploymentType.FULL_TIME, EmploymentType.CONTRACT),
            industries=("Fintech", "Healthcare"),
            excluded_companies=("Initech",),
            willing_to_relocate=True,
            work_authorization=(
                WorkAuthorization(country_code="GB", authorized=True),
                WorkAuthorization(country_code="US", authorized=False),
            ),
            needs_sponsorship=False,
            notice_period_days=30,
        ),
    )


def full_profile(user_id: uuid.UUID | None = None, *, when: datetime = SAVED_AT) -> Profile:
    """A profile with every attribute filled in, saved at ``when``."""
    return Profile.empty(user_id or uuid.uuid4()).changed(full_changes(), when)
