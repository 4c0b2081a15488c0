"""The profile: who a job seeker is, how to reach them, and what work they are looking for.

A ``Profile`` belongs to exactly one user (``user_id``) and is always whole: a user who never saved
one has the empty profile (``Profile.empty``), never "no profile". Its values are frozen and
validate themselves; their converters only tidy what they are given (trim and collapse spaces,
upper-case country and currency codes, bring a phone number to ``+<digits>``), and anything else
that is wrong raises ``InvalidInput`` whose ``field`` is the dotted path of the offending value
(``preferences.salary_floor.currency``), the same path the API uses.

A change is a ``ProfileChanges``: every attribute it leaves ``UNSET`` keeps its value, every other
one replaces it (``None`` or an empty tuple clears it). ``Profile.changed`` applies one to a
profile; applying one to the empty profile replaces the profile as a whole.

The job preferences here are the inputs of matching: desired titles and places, the acceptable
remote modes, a salary floor, employment types, industries, companies never to show, willingness
to relocate, the right to work per country, the need for visa sponsorship and the notice period.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, Union
from urllib.parse import urlsplit

import attrs

from jobraker_core.accounts.model import normalise_email
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import MAX_URL_LENGTH, EmploymentType, RemoteMode
from jobraker_core.jobs.salary import MAX_ANNUAL_SALARY, SalaryPeriod, normalise_currency

if TYPE_CHECKING:
    from attrs import AttrsInstance

MAX_NAME_LENGTH: Final = 200
MAX_HEADLINE_LENGTH: Final = 300
MAX_ITEM_LENGTH: Final = 200
"""Longest title, industry, company, place part or link label."""
MAX_LINKS: Final = 10
MAX_LOCATIONS: Final = 20
MAX_TITLES: Final = 20
MAX_INDUSTRIES: Final = 20
MAX_EXCLUDED_COMPANIES: Final = 200
MAX_AUTHORIZATIONS: Final = 60
MAX_NOTICE_DAYS: Final = 365
MAX_PHONE_LENGTH: Final = 32
"""Longest phone number as typed (spaces, dashes and brackets included)."""
MIN_PHONE_DIGITS: Final = 7
MAX_PHONE_DIGITS: Final = 15  # E.164

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COUNTRY: Final = re.compile(r"^[A-Z]{2}$")
_PHONE_PUNCTUATION: Final = re.compile(r"[\s().\-/]")
_DIGITS: Final = re.compile(r"^\d+$")
_HOST: Final = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_CENT: Final = Decimal("0.01")

T = TypeVar("T")


# ----------------------------------------------------------------------------- field paths


@contextmanager
def prefixed(prefix: str) -> Iterator[None]:
    """Put ``prefix`` before the ``field`` of any ``InvalidInput`` raised in the block.

    Nested values know only their own attribute names; whoever builds them inside a bigger value
    says where they sit (``prefixed("preferences.locations")``).
    """
    try:
        yield
    except InvalidInput as error:
        field = f"{prefix}.{error.field}" if error.field else prefix
        raise InvalidInput(error.message, field=field) from None


# ----------------------------------------------------------------------------- converters


def _text(value: str, *, field: str, limit: int) -> str:
    """One line of text: spaces collapsed, no control characters, at most ``limit`` characters."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def _optional_text(value: str | None, field: str, limit: int) -> str | None:
    """Tidy optional text; ``None`` and blank text both mean "not given"."""
    if value is None:
        return None
    return _text(value, field=field, limit=limit) or None


def _not_text(values: object, field: str) -> None:
    if isinstance(values, (str, bytes)):
        raise InvalidInput(f"{field} must be a list", field=field)


def _items(values: Iterable[str], field: str, limit: int) -> tuple[str, ...]:
    """Tidy each text item, refuse blank ones, drop repeats (ignoring case)."""
    _not_text(values, field)
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        item = _text(value, field=field, limit=MAX_ITEM_LENGTH)
        if not item:
            raise InvalidInput(f"{field} must not contain blank entries", field=field)
        if item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    if len(kept) > limit:
        raise InvalidInput(f"{field} may hold at most {limit} entries", field=field)
    return tuple(kept)


def _distinct(values: Iterable[T], field: str, limit: int) -> tuple[T, ...]:
    """A tuple of at most ``limit`` values, repeats dropped (the first one kept)."""
    _not_text(values, field)
    kept = tuple(dict.fromkeys(values))
    if len(kept) > limit:
        raise InvalidInput(f"{field} may hold at most {limit} entries", field=field)
    return kept


_E = TypeVar("_E", bound=enum.Enum)


def _enum_set(values: Iterable[object], kind: type[_E], field: str) -> tuple[_E, ...]:
    """The distinct members named by ``values``, in the enum's own order."""
    _not_text(values, field)
    try:
        wanted = {kind(value) for value in values}
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise InvalidInput(f"{field} may only hold {allowed}", field=field) from None
    return tuple(member for member in kind if member in wanted)


def _country(value: str, field: str) -> str:
    code = _text(value, field=field, limit=MAX_ITEM_LENGTH).upper()
    if not _COUNTRY.match(code):
        raise InvalidInput(
            f"{field} {value[:20]!r} is not an ISO 3166-1 alpha-2 code such as GB", field=field
        )
    return code


def normalise_phone(raw: str) -> str:
    """Return a phone number as ``+`` and its digits (E.164), or raise ``InvalidInput``.

    Spaces, dots, dashes, slashes and brackets are dropped; a leading ``00`` counts as ``+``. The
    number must carry its country code: 7 to 15 digits after the ``+``, the first not 0.
    """
    if len(raw) > MAX_PHONE_LENGTH:
        raise InvalidInput(f"phone is longer than {MAX_PHONE_LENGTH} characters", field="phone")
    compact = _PHONE_PUNCTUATION.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact[1:]
    if not compact.startswith("+") or not _DIGITS.match(digits):
        raise InvalidInput(
            "phone must be an international number with its country code, such as +44 20 7946 0958",
            field="phone",
        )
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS or digits.startswith("0"):
        raise InvalidInput(
            f"phone must have {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits after the + "
            "and no leading 0",
            field="phone",
        )
    return compact


def normalise_url(raw: str, *, field: str = "url") -> str:
    """Return an absolute ``http``/``https`` URL with a host, trimmed, or raise ``InvalidInput``.

    URLs that embed credentials (``https://user:pass@host``) are refused: a profile is shared.
    """
    url = raw.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"{field} is longer than {MAX_URL_LENGTH} characters", field=field)
    if _CONTROL.search(url) or any(ch.isspace() for ch in url):
        raise InvalidInput(f"{field} must not contain spaces or control characters", field=field)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InvalidInput(f"{field} is not a valid URL", field=field) from None
    if parts.scheme.lower() not in {"http", "https"} or not host or not _HOST.match(host):
        raise InvalidInput(
            f"{field} must be an http(s) URL such as https://example.com/me", field=field
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{field} must not contain a user name or password", field=field)
    return url


# Named converters, one per attribute: mypy's attrs plugin understands only named functions.


def _name(value: str | None) -> str | None:
    return _optional_text(value, "name", MAX_NAME_LENGTH)


def _headline(value: str | None) -> str | None:
    return _optional_text(value, "headline", MAX_HEADLINE_LENGTH)


def _label(value: str | None) -> str | None:
    return _optional_text(value, "label", MAX_ITEM_LENGTH)


def _city(value: str | None) -> str | None:
    return _optional_text(value, "city", MAX_ITEM_LENGTH)


def _region(value: str | None) -> str | None:
    return _optional_text(value, "region", MAX_ITEM_LENGTH)


def _country_code(value: str) -> str:
    return _country(value, "country_code")


def _optional_country_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _country(value, "country_code")


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return normalise_email(value)


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return normalise_phone(value)


def _url(value: str) -> str:
    return normalise_url(value, field="url")


def _links(values: Iterable[Link]) -> tuple[Link, ...]:
    return _distinct(values, "links", MAX_LINKS)


def _locations(values: Iterable[Place]) -> tuple[Place, ...]:
    return _distinct(values, "locations", MAX_LOCATIONS)


def _titles(values: Iterable[str]) -> tuple[str, ...]:
    return _items(values, "titles", MAX_TITLES)


def _industries(values: Iterable[str]) -> tuple[str, ...]:
    return _items(values, "industries", MAX_INDUSTRIES)


def _excluded_companies(values: Iterable[str]) -> tuple[str, ...]:
    return _items(values, "excluded_companies", MAX_EXCLUDED_COMPANIES)


def _remote_modes(values: Iterable[RemoteMode]) -> tuple[RemoteMode, ...]:
    return _enum_set(values, RemoteMode, "remote_modes")


def _employment_types(values: Iterable[EmploymentType]) -> tuple[EmploymentType, ...]:
    return _enum_set(values, EmploymentType, "employment_types")


def _amount(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidInput("amount must be a number of at least 0", field="amount")
    if value > MAX_ANNUAL_SALARY:
        raise InvalidInput("amount is implausibly large", field="amount")
    return value.quantize(_CENT)


def _currency(value: str) -> str:
    try:
        return normalise_currency(value)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="currency") from None


def _period(value: SalaryPeriod) -> SalaryPeriod:
    try:
        return SalaryPeriod(value)
    except ValueError:
        allowed = ", ".join(period.value for period in SalaryPeriod)
        raise InvalidInput(f"period must be one of {allowed}", field="period") from None


def _authorizations(values: Iterable[WorkAuthorization]) -> tuple[WorkAuthorization, ...]:
    field = "work_authorization"
    _not_text(values, field)
    by_country: dict[str, WorkAuthorization] = {}
    for value in values:
        known = by_country.setdefault(value.country_code, value)
        if known.authorized != value.authorized:
            raise InvalidInput(
                f"{field} says both yes and no for {value.country_code}", field=field
            )
    if len(by_country) > MAX_AUTHORIZATIONS:
        raise InvalidInput(f"{field} may hold at most {MAX_AUTHORIZATIONS} countries", field=field)
    return tuple(by_country[code] for code in sorted(by_country))


def _notice(_: object, __: attrs.Attribute[int | None], value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NOTICE_DAYS:
        raise InvalidInput(
            f"notice_period_days must be a whole number from 0 to {MAX_NOTICE_DAYS}",
            field="notice_period_days",
        )


def _optional_bool(_: object, attribute: attrs.Attribute[bool | None], value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(f"{attribute.name} must be true, false or null", field=attribute.name)


def _bool(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInput(f"{attribute.name} must be true or false", field=attribute.name)


# ----------------------------------------------------------------------------- values


@attrs.frozen
class Link:
    """A web page about the person (a portfolio, a LinkedIn or GitHub profile), with a label."""

    url: str = attrs.field(converter=_url)
    label: str | None = attrs.field(default=None, converter=_label)


@attrs.frozen
class Place:
    """A place to live or work: any of a city, a region and an ISO 3166-1 alpha-2 country."""

    city: str | None = attrs.field(default=None, converter=_city)
    region: str | None = attrs.field(default=None, converter=_region)
    country_code: str | None = attrs.field(default=None, converter=_optional_country_code)

    def __attrs_post_init__(self) -> None:
        """Refuse a place with nothing in it."""
        if self.city is None and self.region is None and self.country_code is None:
            raise InvalidInput("a place needs a city, a region or a country")


@attrs.frozen
class ContactDetails:
    """How employers reach the person: an email address, a phone number (E.164) and links."""

    email: str | None = attrs.field(default=None, converter=_email)
    phone: str | None = attrs.field(default=None, converter=_phone)
    links: tuple[Link, ...] = attrs.field(default=(), converter=_links)


@attrs.frozen
class SalaryFloor:
    """The least pay the person would accept: an amount of ``currency`` per ``period``."""

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(converter=_currency)
    period: SalaryPeriod = attrs.field(default=SalaryPeriod.YEAR, converter=_period)

    def __attrs_post_init__(self) -> None:
        """Refuse a floor whose yearly equivalent is implausible."""
        if self.amount * self.period.per_year > MAX_ANNUAL_SALARY:
            raise InvalidInput("amount is implausibly large for the period", field="amount")

    @property
    def annual(self) -> Decimal:
        """The floor as a yearly figure in whole units of ``currency``."""
        return (self.amount * self.period.per_year).quantize(Decimal(1))


@attrs.frozen
class WorkAuthorization:
    """Whether the person may work in a country (ISO 3166-1 alpha-2) without a new permit."""

    country_code: str = attrs.field(converter=_country_code)
    authorized: bool = attrs.field(validator=_bool)


@attrs.frozen
class JobPreferences:
    """What work the person wants; these drive matching.

    Empty tuples and ``None`` mean "no preference" (``willing_to_relocate`` and
    ``needs_sponsorship``: "not said"). ``remote_modes`` lists the acceptable arrangements.
    ``excluded_companies`` are never shown. ``work_authorization`` holds one entry per country,
    sorted by country code.
    """

    titles: tuple[str, ...] = attrs.field(default=(), converter=_titles)
    locations: tuple[Place, ...] = attrs.field(default=(), converter=_locations)
    remote_modes: tuple[RemoteMode, ...] = attrs.field(default=(), converter=_remote_modes)
    salary_floor: SalaryFloor | None = None
    employment_types: tuple[EmploymentType, ...] = attrs.field(
        default=(), converter=_employment_types
    )
    industries: tuple[str, ...] = attrs.field(default=(), converter=_industries)
    excluded_companies: tuple[str, ...] = attrs.field(default=(), converter=_excluded_companies)
    willing_to_relocate: bool | None = attrs.field(default=None, validator=_optional_bool)
    work_authorization: tuple[WorkAuthorization, ...] = attrs.field(
        default=(), converter=_authorizations
    )
    needs_sponsorship: bool | None = attrs.field(default=None, validator=_optional_bool)
    notice_period_days: int | None = attrs.field(default=None, validator=_notice)

    def authorized_in(self, country_code: str) -> bool | None:
        """Whether the person may work in ``country_code``; ``None`` when they did not say."""
        code = country_code.upper()
        for entry in self.work_authorization:
            if entry.country_code == code:
                return entry.authorized
        return None


# ----------------------------------------------------------------------------- changes


class Unset(enum.Enum):
    """The type of ``UNSET``: "this change leaves the attribute as it is"."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
Change = Union[T, Unset]  # noqa: UP007 - a generic alias; ``T | Unset`` is not subscriptable


@attrs.frozen
class ContactChanges:
    """Changes to ``ContactDetails``; ``UNSET`` keeps, anything else replaces."""

    email: Change[str | None] = UNSET
    phone: Change[str | None] = UNSET
    links: Change[tuple[Link, ...]] = UNSET


@attrs.frozen
class PreferenceChanges:
    """Changes to ``JobPreferences``; ``UNSET`` keeps, anything else replaces."""

    titles: Change[tuple[str, ...]] = UNSET
    locations: Change[tuple[Place, ...]] = UNSET
    remote_modes: Change[tuple[RemoteMode, ...]] = UNSET
    salary_floor: Change[SalaryFloor | None] = UNSET
    employment_types: Change[tuple[EmploymentType, ...]] = UNSET
    industries: Change[tuple[str, ...]] = UNSET
    excluded_companies: Change[tuple[str, ...]] = UNSET
    willing_to_relocate: Change[bool | None] = UNSET
    work_authorization: Change[tuple[WorkAuthorization, ...]] = UNSET
    needs_sponsorship: Change[bool | None] = UNSET
    notice_period_days: Change[int | None] = UNSET


@attrs.frozen
class ProfileChanges:
    """Changes to a ``Profile``; ``UNSET`` keeps, anything else replaces (``None``/``()`` clear).

    ``contact`` and ``preferences`` change attribute by attribute, like the profile itself.
    """

    name: Change[str | None] = UNSET
    headline: Change[str | None] = UNSET
    contact: ContactChanges = ContactChanges()
    locations: Change[tuple[Place, ...]] = UNSET
    preferences: PreferenceChanges = PreferenceChanges()

    @property
    def is_empty(self) -> bool:
        """Whether these changes leave every attribute as it is."""
        return not (_given(self.contact) or _given(self.preferences) or _top_level(self))


def _given(changes: AttrsInstance) -> dict[str, object]:
    """The attributes of a changes object that are not ``UNSET``."""
    return {
        field.name: value
        for field in attrs.fields(type(changes))
        if (value := getattr(changes, field.name)) is not UNSET
    }


def _top_level(changes: ProfileChanges) -> dict[str, object]:
    return {k: v for k, v in _given(changes).items() if k not in {"contact", "preferences"}}


_V = TypeVar("_V", ContactDetails, JobPreferences)


def _apply(target: _V, changes: AttrsInstance) -> _V:
    given: dict[str, Any] = _given(changes)
    return attrs.evolve(target, **given) if given else target


# ----------------------------------------------------------------------------- the profile


@attrs.frozen
class Profile:
    """One user's profile. ``updated_at`` is when it was last saved (``None``: never)."""

    user_id: uuid.UUID
    name: str | None = attrs.field(default=None, converter=_name)
    headline: str | None = attrs.field(default=None, converter=_headline)
    contact: ContactDetails = ContactDetails()
    locations: tuple[Place, ...] = attrs.field(default=(), converter=_locations)
    preferences: JobPreferences = JobPreferences()
    updated_at: datetime | None = None

    @classmethod
    def empty(cls, user_id: uuid.UUID) -> Profile:
        """The profile of a user who has not filled one in."""
        return cls(user_id=user_id)

    @property
    def is_empty(self) -> bool:
        """Whether nothing is filled in."""
        return self.same_content(Profile.empty(self.user_id))

    def same_content(self, other: Profile) -> bool:
        """Whether ``other`` holds the same details (``updated_at`` aside)."""
        return attrs.evolve(self, updated_at=None) == attrs.evolve(other, updated_at=None)

    def changed(self, changes: ProfileChanges, when: datetime) -> Profile:
        """The profile with ``changes`` applied, saved at ``when``.

        ``InvalidInput`` (with the dotted path of the field) when the result breaks a rule.

        The profile comes back as it was (``updated_at`` too) when the changes change nothing.
        """
        with prefixed("contact"):
            contact = _apply(self.contact, changes.contact)
        with prefixed("preferences"):
            preferences = _apply(self.preferences, changes.preferences)
        top: dict[str, Any] = _top_level(changes)
        result = attrs.evolve(self, contact=contact, preferences=preferences, **top)
        if result.same_content(self):
            return self
        return attrs.evolve(result, updated_at=when)


# ----------------------------------------------------------------------------- port


class ProfileRepository(Protocol):
    """The saved profiles, one per user, handed out by the ``UnitOfWork``.

    Storage that is down raises ``UpstreamUnavailable``; saving the profile of a user that does
    not exist (any more) raises ``NotFound``.
    """

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> Profile | None:
        """Return the user's saved profile, or ``None`` if they never saved one.

        ``for_update`` makes another unit that asks the same for this user wait until this unit
        ends (also when no profile is saved yet), so read-modify-writes do not lose changes.
        """
        ...

    def save(self, profile: Profile) -> None:
        """Store ``profile`` as the user's profile, replacing any saved one."""
        ...

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the user's profile; ``False`` when there was none."""
        ...
