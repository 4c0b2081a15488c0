"""``/api/v1/users/profile/``: the caller's own profile.

GET reads it, PUT replaces it, PATCH changes the fields given.

There is no id in the path: every request works on the profile of the authenticated caller
(``principal.user_id``), so no one can name another user's profile.

The request schema forbids unknown fields at every level, so a body that tries to set what
clients may not (``user_id``, ``id``, ``role``, ``is_admin``, ``status``, ``created_at``,
``updated_at``) is refused with 422 naming the field, and nothing is stored.

PATCH follows JSON merge patch (RFC 7396) for objects: a field left out is kept, a field set to
``null`` is cleared (a list to ``[]``, ``contact`` or ``preferences`` to all cleared), and
``contact`` and ``preferences`` are merged field by field. Lists are replaced whole. PUT takes the
same body and clears what it leaves out.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeVar, cast

import msgspec
from litestar import Router, get, patch, put
from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime
from msgspec import UNSET, UnsetType

from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.profile import (
    MAX_AUTHORIZATIONS,
    MAX_EXCLUDED_COMPANIES,
    MAX_HEADLINE_LENGTH,
    MAX_INDUSTRIES,
    MAX_ITEM_LENGTH,
    MAX_LINKS,
    MAX_LOCATIONS,
    MAX_NAME_LENGTH,
    MAX_NOTICE_DAYS,
    MAX_PHONE_LENGTH,
    MAX_TITLES,
    ContactChanges,
    Link,
    Place,
    PreferenceChanges,
    Profile,
    ProfileChanges,
    SalaryFloor,
    WorkAuthorization,
    prefixed,
)
from jobraker_core.accounts.profile import (
    UNSET as UNCHANGED,
)
from jobraker_core.accounts.profile_use_cases import (
    GetProfile,
    ReplaceProfile,
    ReplaceProfileCommand,
    UpdateProfile,
    UpdateProfileCommand,
)
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import MAX_URL_LENGTH, EmploymentType, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import requires_user
from jobraker_http.schemas import EmploymentWire, Number, PeriodWire, RemoteWire, number

if TYPE_CHECKING:
    from jobraker_adapters.container import Container

PROFILE_PATH: Final = "/users/profile"
MAX_EMAIL_LENGTH: Final = 254
MAX_CURRENCY_LENGTH: Final = 8

T = TypeVar("T")

Text = Annotated[str, msgspec.Meta(max_length=MAX_ITEM_LENGTH)]
CountryWire = Annotated[
    str, msgspec.Meta(max_length=2, min_length=2, description="ISO 3166-1 alpha-2, any case")
]


# ----------------------------------------------------------------------------- wire: input


class _In(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every input object: unknown fields are refused."""


class LinkIn(_In):
    """A web page about the person."""

    url: Annotated[str, msgspec.Meta(max_length=MAX_URL_LENGTH, description="http(s) URL")]
    label: Text | None = None


class PlaceIn(_In):
    """A place: any of a city, a region and a country."""

    city: Text | None = None
    region: Text | None = None
    country: CountryWire | None = None


class ContactIn(_In):
    """How employers reach the person."""

    email: Annotated[str, msgspec.Meta(max_length=MAX_EMAIL_LENGTH)] | UnsetType | None = UNSET
    phone: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=MAX_PHONE_LENGTH,
                description="international form with the country code, e.g. +44 20 7946 0958",
            ),
        ]
        | UnsetType
        | None
    ) = UNSET
    links: Annotated[list[LinkIn], msgspec.Meta(max_length=MAX_LINKS)] | UnsetType | None = UNSET


class SalaryFloorIn(_In):
    """The least pay the person would accept."""

    amount: Annotated[Decimal, msgspec.Meta(description="a number (or a decimal string)")]
    currency: Annotated[
        str, msgspec.Meta(max_length=MAX_CURRENCY_LENGTH, description="ISO 4217 code, any case")
    ]
    period: PeriodWire = "year"


class PreferencesIn(_In):
    """What work the person wants."""

    titles: Annotated[list[Text], msgspec.Meta(max_length=MAX_TITLES)] | UnsetType | None = UNSET
    locations: (
        Annotated[list[PlaceIn], msgspec.Meta(max_length=MAX_LOCATIONS)] | UnsetType | None
    ) = UNSET
    remote_modes: (
        Annotated[list[RemoteWire], msgspec.Meta(max_length=len(RemoteMode))] | UnsetType | None
    ) = UNSET
    salary_floor: SalaryFloorIn | UnsetType | None = UNSET
    employment_types: (
        Annotated[list[EmploymentWire], msgspec.Meta(max_length=len(EmploymentType))]
        | UnsetType
        | None
    ) = UNSET
    industries: (
        Annotated[list[Text], msgspec.Meta(max_length=MAX_INDUSTRIES)] | UnsetType | None
    ) = UNSET
    excluded_companies: (
        Annotated[list[Text], msgspec.Meta(max_length=MAX_EXCLUDED_COMPANIES)] | UnsetType | None
    ) = UNSET
    willing_to_relocate: bool | UnsetType | None = UNSET
    work_authorization: (
        Annotated[
            dict[CountryWire, bool],
            msgspec.Meta(
                max_length=MAX_AUTHORIZATIONS,
                description="country code → whether the person may work there",
                examples=[{"GB": True, "US": False}],
            ),
        ]
        | UnsetType
        | None
    ) = UNSET
    needs_sponsorship: bool | UnsetType | None = UNSET
    notice_period_days: (
        Annotated[int, msgspec.Meta(ge=0, le=MAX_NOTICE_DAYS)] | UnsetType | None
    ) = UNSET


class ProfileIn(_In):
    """Body of PUT (fields left out are cleared) and PATCH (fields left out are kept)."""

    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME_LENGTH)] | UnsetType | None = UNSET
    headline: Annotated[str, msgspec.Meta(max_length=MAX_HEADLINE_LENGTH)] | UnsetType | None = (
        UNSET
    )
    contact: ContactIn | UnsetType | None = UNSET
    locations: (
        Annotated[list[PlaceIn], msgspec.Meta(max_length=MAX_LOCATIONS)] | UnsetType | None
    ) = UNSET
    preferences: PreferencesIn | UnsetType | None = UNSET


# ----------------------------------------------------------------------------- wire: output


class LinkOut(msgspec.Struct, kw_only=True):
    """A web page about the person."""

    url: str
    label: str | None


class PlaceOut(msgspec.Struct, kw_only=True):
    """A place."""

    city: str | None
    region: str | None
    country: Annotated[str | None, msgspec.Meta(description="ISO 3166-1 alpha-2, upper case")]


class ContactOut(msgspec.Struct, kw_only=True):
    """How employers reach the person."""

    email: str | None
    phone: Annotated[str | None, msgspec.Meta(description="E.164, e.g. +442079460958")]
    links: list[LinkOut]


class SalaryFloorOut(msgspec.Struct, kw_only=True):
    """The least pay the person would accept, and its yearly equivalent."""

    amount: Number
    currency: str
    period: PeriodWire
    annual: Annotated[Number, msgspec.Meta(description="the floor per year, in whole units")]


class PreferencesOut(msgspec.Struct, kw_only=True):
    """What work the person wants."""

    titles: list[str]
    locations: list[PlaceOut]
    remote_modes: list[RemoteWire]
    salary_floor: SalaryFloorOut | None
    employment_types: list[EmploymentWire]
    industries: list[str]
    excluded_companies: list[str]
    willing_to_relocate: bool | None
    work_authorization: dict[str, bool]
    needs_sponsorship: bool | None
    notice_period_days: int | None


class ProfileOut(msgspec.Struct, kw_only=True):
    """The caller's profile; ``updated_at`` is null until it is first saved."""

    name: str | None
    headline: str | None
    contact: ContactOut
    locations: list[PlaceOut]
    preferences: PreferencesOut
    updated_at: datetime | None


class ProfileEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the profile."""

    success: Literal[True]
    data: ProfileOut
    meta: ItemMeta


# ----------------------------------------------------------------------------- mapping


def _place_out(place: Place) -> PlaceOut:
    return PlaceOut(city=place.city, region=place.region, country=place.country_code)


def profile_to_wire(profile: Profile) -> ProfileOut:
    """The API shape of ``profile``."""
    prefs = profile.preferences
    floor = prefs.salary_floor
    return ProfileOut(
        name=profile.name,
        headline=profile.headline,
        contact=ContactOut(
            email=profile.contact.email,
            phone=profile.contact.phone,
            links=[LinkOut(url=link.url, label=link.label) for link in profile.contact.links],
        ),
        locations=[_place_out(place) for place in profile.locations],
        preferences=PreferencesOut(
            titles=list(prefs.titles),
            locations=[_place_out(place) for place in prefs.locations],
            remote_modes=[mode.value for mode in prefs.remote_modes],
            salary_floor=None
            if floor is None
            else SalaryFloorOut(
                amount=cast("Number", number(floor.amount)),
                currency=floor.currency,
                period=floor.period.value,
                annual=cast("Number", number(floor.annual)),
            ),
            employment_types=[kind.value for kind in prefs.employment_types],
            industries=list(prefs.industries),
            excluded_companies=list(prefs.excluded_companies),
            willing_to_relocate=prefs.willing_to_relocate,
            work_authorization={a.country_code: a.authorized for a in prefs.work_authorization},
            needs_sponsorship=prefs.needs_sponsorship,
            notice_period_days=prefs.notice_period_days,
        ),
        updated_at=profile.updated_at,
    )


def _place(wire: PlaceIn, path: str) -> Place:
    """A domain place from the wire, errors reported under ``path`` with wire field names."""
    try:
        return Place(city=wire.city, region=wire.region, country_code=wire.country)
    except InvalidInput as error:
        field = "country" if error.field == "country_code" else error.field
        message = error.message.replace("country_code", "country")
        raise InvalidInput(message, field=f"{path}.{field}" if field else path) from None


def _places(wires: list[PlaceIn] | None, path: str) -> tuple[Place, ...]:
    return tuple(_place(wire, path) for wire in wires or ())


def _given(value: T | UnsetType | None, convert: Any, empty: object) -> Any:
    """Map a wire field to a change: absent → unchanged, null → ``empty``, else converted."""
    if value is UNSET:
        return UNCHANGED
    if value is None:
        return empty
    return convert(value)


def _contact_changes(wire: ContactIn | UnsetType | None) -> ContactChanges:
    if wire is UNSET:
        return ContactChanges()
    if wire is None:
        return ContactChanges(email=None, phone=None, links=())
    with prefixed("contact.links"):
        links = _given(
            wire.links,
            lambda items: tuple(Link(url=i.url, label=i.label) for i in items),
            (),
        )
    return ContactChanges(
        email=_given(wire.email, str, None), phone=_given(wire.phone, str, None), links=links
    )


def _floor(wire: SalaryFloorIn) -> SalaryFloor:
    with prefixed("preferences.salary_floor"):
        return SalaryFloor(
            amount=wire.amount, currency=wire.currency, period=SalaryPeriod(wire.period)
        )


def _authorizations(wire: dict[str, bool]) -> tuple[WorkAuthorization, ...]:
    with prefixed("preferences.work_authorization"):
        return tuple(WorkAuthorization(country, allowed) for country, allowed in wire.items())


_CLEARED_PREFERENCES: Final = PreferenceChanges(
    titles=(),
    locations=(),
    remote_modes=(),
    salary_floor=None,
    employment_types=(),
    industries=(),
    excluded_companies=(),
    willing_to_relocate=None,
    work_authorization=(),
    needs_sponsorship=None,
    notice_period_days=None,
)


def _preference_changes(wire: PreferencesIn | UnsetType | None) -> PreferenceChanges:
    if wire is UNSET:
        return PreferenceChanges()
    if wire is None:
        return _CLEARED_PREFERENCES
    return PreferenceChanges(
        titles=_given(wire.titles, tuple, ()),
        locations=_given(wire.locations, lambda items: _places(items, "preferences.locations"), ()),
        remote_modes=_given(wire.remote_modes, lambda items: tuple(map(RemoteMode, items)), ()),
        salary_floor=_given(wire.salary_floor, _floor, None),
        employment_types=_given(
            wire.employment_types, lambda items: tuple(map(EmploymentType, items)), ()
        ),
        industries=_given(wire.industries, tuple, ()),
        excluded_companies=_given(wire.excluded_companies, tuple, ()),
        willing_to_relocate=_given(wire.willing_to_relocate, bool, None),
        work_authorization=_given(wire.work_authorization, _authorizations, ()),
        needs_sponsorship=_given(wire.needs_sponsorship, bool, None),
        notice_period_days=_given(wire.notice_period_days, int, None),
    )


def profile_changes(wire: ProfileIn) -> ProfileChanges:
    """The domain changes a request body asks for (see the module docstring)."""
    return ProfileChanges(
        name=_given(wire.name, str, None),
        headline=_given(wire.headline, str, None),
        contact=_contact_changes(wire.contact),
        locations=_given(wire.locations, lambda items: _places(items, "locations"), ()),
        preferences=_preference_changes(wire.preferences),
    )


# ----------------------------------------------------------------------------- routes


def _container(state: State) -> Container:
    return cast("Container", state.container)


def provide_get_profile(state: State) -> GetProfile:
    """Resolve the ``GetProfile`` use case."""
    return _container(state).get_profile()


def provide_replace_profile(state: State) -> ReplaceProfile:
    """Resolve the ``ReplaceProfile`` use case."""
    return _container(state).replace_profile()


def provide_update_profile(state: State) -> UpdateProfile:
    """Resolve the ``UpdateProfile`` use case."""
    return _container(state).update_profile()


def _envelope(profile: Profile) -> ProfileEnvelope:
    return ProfileEnvelope(success=True, data=profile_to_wire(profile), meta=ItemMeta())


@get(
    "/",
    sync_to_thread=True,
    summary="Read my profile",
    description="A user who never saved a profile gets the empty one (`updated_at` null).",
    responses=problem_responses(401, 503),
)
def profile_read(
    principal: NamedDependency[Principal], get_profile: NamedDependency[GetProfile]
) -> ProfileEnvelope:
    """Return the caller's profile."""
    return _envelope(get_profile(principal.user_id))


@put(
    "/",
    sync_to_thread=True,
    summary="Replace my profile",
    description="Stores exactly the body: fields left out are cleared. Unknown fields (such as "
    "`user_id`, `role` or `updated_at`) are refused with 422 and nothing is stored.",
    responses=problem_responses(400, 401, 413, 422, 503),
)
def profile_replace(
    data: JSONBody[ProfileIn],
    principal: NamedDependency[Principal],
    replace_profile: NamedDependency[ReplaceProfile],
) -> ProfileEnvelope:
    """Replace the caller's profile with the body."""
    command = ReplaceProfileCommand(user_id=principal.user_id, changes=profile_changes(data))
    return _envelope(replace_profile(command))


@patch(
    "/",
    sync_to_thread=True,
    summary="Change my profile",
    description="JSON merge patch: fields left out are kept, `null` clears a field (`[]` for a "
    "list), `contact` and `preferences` merge field by field, lists are replaced whole. Unknown "
    "fields are refused with 422 and nothing is stored.",
    responses=problem_responses(400, 401, 413, 422, 503),
)
def profile_update(
    data: JSONBody[ProfileIn],
    principal: NamedDependency[Principal],
    update_profile: NamedDependency[UpdateProfile],
) -> ProfileEnvelope:
    """Apply the body to the caller's profile."""
    command = UpdateProfileCommand(user_id=principal.user_id, changes=profile_changes(data))
    return _envelope(update_profile(command))


def profile_router() -> Router:
    """Group the profile routes under ``/api/v1/users/profile``; every one needs a user."""
    return Router(
        path=PROFILE_PATH,
        route_handlers=[profile_read, profile_replace, profile_update],
        tags=["profile"],
        guards=[requires_user],
        dependencies={
            "get_profile": Provide(provide_get_profile, sync_to_thread=False),
            "replace_profile": Provide(provide_replace_profile, sync_to_thread=False),
            "update_profile": Provide(provide_update_profile, sync_to_thread=False),
        },
    )
