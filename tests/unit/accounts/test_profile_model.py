"""The profile model: its values tidy and validate themselves, and changes apply field by field."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.accounts.profile import (
    MAX_EXCLUDED_COMPANIES,
    MAX_ITEM_LENGTH,
    MAX_LINKS,
    MAX_NAME_LENGTH,
    MAX_NOTICE_DAYS,
    MAX_TITLES,
    UNSET,
    ContactChanges,
    Link,
    Place,
    PreferenceChanges,
    Profile,
    ProfileChanges,
    SalaryFloor,
    WorkAuthorization,
    normalise_phone,
    normalise_url,
    prefixed,
)
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import EmploymentType, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod
from profile_builders import SAVED_AT, full_changes, full_profile

LATER = SAVED_AT + timedelta(hours=1)


def apply(changes: ProfileChanges, base: Profile | None = None) -> Profile:
    """Apply ``changes`` to ``base`` (the empty profile by default)."""
    return (base or Profile.empty(uuid.uuid4())).changed(changes, LATER)


def refused(changes: ProfileChanges) -> InvalidInput:
    """The error applying ``changes`` to the empty profile raises."""
    with pytest.raises(InvalidInput) as raised:
        apply(changes)
    return raised.value


# ----------------------------------------------------------------------------- tidying


def test_a_new_user_has_the_empty_profile():
    """The empty profile has nothing filled in and was never saved."""
    profile = Profile.empty(uuid.uuid4())
    assert profile.is_empty
    assert profile.updated_at is None
    assert profile.preferences.titles == ()
    assert profile.contact.email is None


def test_every_attribute_can_be_set_and_is_tidied():
    """Filling in everything keeps the values, tidied: phone in E.164, codes upper-cased."""
    profile = full_profile()
    assert profile.name == "Ada Lovelace"
    assert profile.contact.phone == "+442079460958"
    assert profile.contact.email == "ada@example.com"
    assert profile.preferences.salary_floor == SalaryFloor(Decimal("65000.00"), "GBP")
    assert profile.preferences.remote_modes == (RemoteMode.HYBRID, RemoteMode.REMOTE)
    assert profile.preferences.authorized_in("gb") is True
    assert profile.preferences.authorized_in("US") is False
    assert profile.preferences.authorized_in("FR") is None
    assert profile.updated_at == SAVED_AT
    assert not profile.is_empty


def test_text_is_trimmed_and_blank_text_means_not_given():
    """Spaces are collapsed; blank text is the same as no value."""
    profile = apply(ProfileChanges(name="  Ada \t Lovelace ", headline="   "))
    assert profile.name == "Ada Lovelace"
    assert profile.headline is None


def test_codes_are_upper_cased():
    """Country and currency codes are accepted in any case and stored upper-cased."""
    place = Place(city="Paris", country_code="fr")
    floor = SalaryFloor(Decimal(1), "eur", SalaryPeriod.HOUR)
    authorization = WorkAuthorization(country_code="fr", authorized=True)
    assert (place.country_code, floor.currency, authorization.country_code) == ("FR", "EUR", "FR")


def test_list_repeats_are_dropped_ignoring_case():
    """A title given twice (in any case) is kept once, the first spelling winning."""
    profile = apply(
        ProfileChanges(preferences=PreferenceChanges(titles=("Engineer", "engineer", "Analyst")))
    )
    assert profile.preferences.titles == ("Engineer", "Analyst")


def test_enum_lists_come_out_in_a_fixed_order():
    """Remote modes and employment types are sets, kept in the enum's order."""
    profile = apply(
        ProfileChanges(
            preferences=PreferenceChanges(
                remote_modes=(RemoteMode.REMOTE, RemoteMode.ON_SITE, RemoteMode.REMOTE),
                employment_types=(EmploymentType.INTERNSHIP, EmploymentType.FULL_TIME),
            )
        )
    )
    assert profile.preferences.remote_modes == (RemoteMode.ON_SITE, RemoteMode.REMOTE)
    assert profile.preferences.employment_types == (
        EmploymentType.FULL_TIME,
        EmploymentType.INTERNSHIP,
    )


def test_work_authorization_is_one_entry_per_country_sorted():
    """Repeated countries collapse to one entry and entries sort by country code."""
    profile = apply(
        ProfileChanges(
            preferences=PreferenceChanges(
                work_authorization=(
                    WorkAuthorization("US", authorized=False),
                    WorkAuthorization("GB", authorized=True),
                    WorkAuthorization("us", authorized=False),
                )
            )
        )
    )
    assert [a.country_code for a in profile.preferences.work_authorization] == ["GB", "US"]


def test_salary_floor_is_kept_to_cents_and_annualised():
    """An hourly floor keeps its cents and annualises over 2080 hours."""
    floor = SalaryFloor(Decimal("20.505"), "GBP", SalaryPeriod.HOUR)
    assert floor.amount == Decimal("20.50")  # banker's rounding of the half cent
    assert floor.annual == Decimal(42640)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "raw",
    [
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "0044 20 7946 0958",
        "+49.30.1234567",
        "+33/1/23/45/67/89",
    ],
)
def test_phone_numbers_in_international_form_are_accepted(raw):
    """International numbers in the usual spellings become + and digits."""
    assert normalise_phone(raw).startswith("+")
    assert normalise_phone(raw)[1:].isdigit()


@pytest.mark.parametrize(
    "raw",
    [
        "020 7946 0958",
        "+44 20 7946 095x",
        "+12345",
        "+1234567890123456",
        "+0 20 7946 0958",
        "phone me",
        "+",
        "+" + "1" * 40,
    ],
)
def test_phone_numbers_without_country_code_or_digits_are_refused(raw):
    """A national, too short, too long, lettered or zero-led number is refused on ``phone``."""
    with pytest.raises(InvalidInput) as raised:
        normalise_phone(raw)
    assert raised.value.field == "phone"


@pytest.mark.parametrize(
    "url",
    ["https://github.com/ada", "http://ada.example.com:8080/cv?x=1#top", "https://[::1]/"],
)
def test_http_urls_are_accepted(url):
    """Absolute http(s) URLs with a host are accepted as given."""
    assert normalise_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com/cv",
        "https://",
        "//example.com",
        "example.com",
        "https://user:secret@example.com/",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com:99999/",
        "data:text/html,hi",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_other_urls_are_refused(url):
    """Scripts, other schemes, relative or host-less URLs, credentials and junk are refused."""
    with pytest.raises(InvalidInput) as raised:
        Link(url=url)
    assert raised.value.field == "url"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (ProfileChanges(name="x" * (MAX_NAME_LENGTH + 1)), "name"),
        (ProfileChanges(headline="bad\x00byte"), "headline"),
        (ProfileChanges(contact=ContactChanges(email="not-an-email")), "contact.email"),
        (ProfileChanges(contact=ContactChanges(phone="12345")), "contact.phone"),
        (
            ProfileChanges(
                contact=ContactChanges(
                    links=tuple(Link(f"https://e.com/{i}") for i in range(MAX_LINKS + 1))
                )
            ),
            "contact.links",
        ),
        (
            ProfileChanges(
                preferences=PreferenceChanges(
                    titles=tuple(f"title {i}" for i in range(MAX_TITLES + 1))
                )
            ),
            "preferences.titles",
        ),
        (
            ProfileChanges(preferences=PreferenceChanges(titles=("x" * (MAX_ITEM_LENGTH + 1),))),
            "preferences.titles",
        ),
        (ProfileChanges(preferences=PreferenceChanges(titles=("  ",))), "preferences.titles"),
        (
            ProfileChanges(
                preferences=PreferenceChanges(
                    excluded_companies=tuple(f"c{i}" for i in range(MAX_EXCLUDED_COMPANIES + 1))
                )
            ),
            "preferences.excluded_companies",
        ),
        (
            ProfileChanges(preferences=PreferenceChanges(notice_period_days=MAX_NOTICE_DAYS + 1)),
            "preferences.notice_period_days",
        ),
        (
            ProfileChanges(preferences=PreferenceChanges(notice_period_days=-1)),
            "preferences.notice_period_days",
        ),
        (
            ProfileChanges(
                preferences=PreferenceChanges(
                    work_authorization=(
                        WorkAuthorization("GB", authorized=True),
                        WorkAuthorization("gb", authorized=False),
                    )
                )
            ),
            "preferences.work_authorization",
        ),
        (
            ProfileChanges(preferences=PreferenceChanges(remote_modes=("anywhere",))),  # type: ignore[arg-type]
            "preferences.remote_modes",
        ),
        (
            ProfileChanges(preferences=PreferenceChanges(willing_to_relocate="yes")),  # type: ignore[arg-type]
            "preferences.willing_to_relocate",
        ),
    ],
)
def test_broken_rules_name_the_dotted_field(changes, field):
    """Every refusal names the offending value by its dotted path, as the API spells it."""
    assert refused(changes).field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: SalaryFloor(Decimal(-1), "GBP"), "amount"),
        (lambda: SalaryFloor(Decimal("NaN"), "GBP"), "amount"),
        (lambda: SalaryFloor(Decimal("1e30"), "GBP"), "amount"),
        (lambda: SalaryFloor(Decimal(60_000), "GBP", SalaryPeriod.HOUR), "amount"),
        (lambda: SalaryFloor(Decimal(1), "pounds"), "currency"),
        (lambda: SalaryFloor(Decimal(1), "GBP", "fortnight"), "period"),
        (Place, None),
        (lambda: Place(country_code="GBR"), "country_code"),
        (lambda: WorkAuthorization("United Kingdom", authorized=True), "country_code"),
        (lambda: WorkAuthorization("GB", authorized=1), "authorized"),
    ],
)
def test_values_refuse_what_cannot_be(build, field):
    """Negative, non-finite or absurd amounts, bad codes, empty places are refused."""
    with pytest.raises(InvalidInput) as raised:
        build()
    assert raised.value.field == field


def test_prefixed_puts_the_path_before_the_field():
    """Nested values are reported under the path they sit at."""
    with pytest.raises(InvalidInput) as raised, prefixed("preferences.locations"):
        Place(country_code="XYZ")
    assert raised.value.field == "preferences.locations.country_code"
    with pytest.raises(InvalidInput) as raised, prefixed("preferences.locations"):
        Place()
    assert raised.value.field == "preferences.locations"


# ----------------------------------------------------------------------------- changes


def test_unset_keeps_none_clears():
    """A change leaves UNSET attributes alone and clears those set to None or ()."""
    profile = full_profile()
    changed = profile.changed(
        ProfileChanges(
            headline=None,
            contact=ContactChanges(phone=None),
            preferences=PreferenceChanges(salary_floor=None, titles=()),
        ),
        LATER,
    )
    assert changed.headline is None
    assert changed.contact.phone is None
    assert changed.preferences.salary_floor is None
    assert changed.preferences.titles == ()
    assert changed.name == profile.name
    assert changed.contact.email == profile.contact.email
    assert changed.preferences.industries == profile.preferences.industries
    assert changed.updated_at == LATER


def test_changes_that_change_nothing_keep_the_profile_as_it_was():
    """Re-applying what is already stored returns the profile itself, not a new save time."""
    profile = full_profile()
    assert profile.changed(full_changes(), LATER) is profile
    assert profile.changed(ProfileChanges(), LATER) is profile


def test_no_changes_is_empty():
    """Only changes that set nothing at all are empty."""
    assert ProfileChanges().is_empty
    assert not ProfileChanges(name=None).is_empty
    assert not ProfileChanges(contact=ContactChanges(links=())).is_empty
    assert not ProfileChanges(preferences=PreferenceChanges(notice_period_days=0)).is_empty


def test_a_refused_change_leaves_the_profile_untouched():
    """Values are frozen: a refused change cannot have altered the profile."""
    user_id = uuid.uuid4()
    profile = full_profile(user_id)
    with pytest.raises(InvalidInput):
        profile.changed(ProfileChanges(name="ok", headline="x" * 1000), LATER)
    assert profile == full_profile(user_id)


_PREFERENCE_FIELDS = [f.name for f in attrs.fields(PreferenceChanges)]


@given(st.sets(st.sampled_from(_PREFERENCE_FIELDS)))
def test_a_change_touches_only_the_preferences_it_names(names):
    """Clearing any subset of preferences leaves every other preference as it was."""
    profile = full_profile()
    cleared = {
        name: () if isinstance(getattr(profile.preferences, name), tuple) else None
        for name in names
    }
    changed = profile.changed(ProfileChanges(preferences=PreferenceChanges(**cleared)), LATER)
    for name in _PREFERENCE_FIELDS:
        expected = cleared[name] if name in names else getattr(profile.preferences, name)
        assert getattr(changed.preferences, name) == expected


@given(st.sets(st.sampled_from(_PREFERENCE_FIELDS)))
def test_applying_the_same_changes_twice_is_applying_them_once(names):
    """Changes are idempotent: the second application returns the profile unchanged."""
    full = full_changes().preferences
    changes = ProfileChanges(
        preferences=PreferenceChanges(**{name: getattr(full, name) for name in names})
    )
    once = apply(changes)
    assert once.changed(changes, LATER + timedelta(days=1)) is once


def test_unset_is_a_single_marker():
    """UNSET prints as itself, so reprs of changes stay readable."""
    assert repr(UNSET) == "UNSET"
    assert "UNSET" in repr(ProfileChanges())
