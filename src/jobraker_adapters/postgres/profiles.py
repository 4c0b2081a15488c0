"""The PostgreSQL profile repository: one row per user in ``profiles`` (migration 0008).

The name, headline, email and phone are columns; the links, the places and the job preferences
are ``jsonb`` documents written and read by the explicit functions below (``*_to_json`` and
``*_from_json``). Those read missing keys as "not given", so a document written before a
preference existed still reads. Amounts travel as decimal strings, never floats.

``get(..., for_update=True)`` takes a transaction-level advisory lock on the user's profile (the
row may not exist yet, so a row lock would not do): concurrent read-modify-writes of one profile
run one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.accounts.profile import (
    ContactDetails,
    JobPreferences,
    Link,
    Place,
    Profile,
    SalaryFloor,
    WorkAuthorization,
)
from jobraker_core.errors import NotFound
from jobraker_core.jobs.model import EmploymentType, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod

if TYPE_CHECKING:
    import uuid

Json = dict[str, Any]

# The first key of the two-key advisory lock: the letters "PROF", so it names this use.
_LOCK_NAMESPACE: Final = 0x50524F46

_COLUMNS: Final = "user_id, name, headline, email, phone, links, locations, preferences, updated_at"


# ----------------------------------------------------------------------------- mapping


def place_to_json(place: Place) -> Json:
    """A place as a JSON object."""
    return {"city": place.city, "region": place.region, "country_code": place.country_code}


def place_from_json(data: Mapping[str, Any]) -> Place:
    """A place from ``place_to_json``'s object."""
    return Place(
        city=data.get("city"), region=data.get("region"), country_code=data.get("country_code")
    )


def link_to_json(link: Link) -> Json:
    """A link as a JSON object."""
    return {"url": link.url, "label": link.label}


def link_from_json(data: Mapping[str, Any]) -> Link:
    """A link from ``link_to_json``'s object."""
    return Link(url=data["url"], label=data.get("label"))


def preferences_to_json(preferences: JobPreferences) -> Json:
    """Job preferences as a JSON object (amounts as decimal strings)."""
    floor = preferences.salary_floor
    return {
        "titles": list(preferences.titles),
        "locations": [place_to_json(place) for place in preferences.locations],
        "remote_modes": [mode.value for mode in preferences.remote_modes],
        "salary_floor": None
        if floor is None
        else {
            "amount": str(floor.amount),
            "currency": floor.currency,
            "period": floor.period.value,
        },
        "employment_types": [kind.value for kind in preferences.employment_types],
        "industries": list(preferences.industries),
        "excluded_companies": list(preferences.excluded_companies),
        "willing_to_relocate": preferences.willing_to_relocate,
        "work_authorization": [
            {"country_code": entry.country_code, "authorized": entry.authorized}
            for entry in preferences.work_authorization
        ],
        "needs_sponsorship": preferences.needs_sponsorship,
        "notice_period_days": preferences.notice_period_days,
    }


def _salary_floor_from_json(data: Mapping[str, Any] | None) -> SalaryFloor | None:
    if data is None:
        return None
    try:
        amount = Decimal(str(data["amount"]))
    except InvalidOperation as error:
        msg = f"stored salary floor amount {data['amount']!r} is not a number"
        raise ValueError(msg) from error
    return SalaryFloor(
        amount=amount, currency=data["currency"], period=SalaryPeriod(data.get("period", "year"))
    )


def preferences_from_json(data: Mapping[str, Any]) -> JobPreferences:
    """Job preferences from ``preferences_to_json``'s object; missing keys mean "not given"."""
    return JobPreferences(
        titles=tuple(data.get("titles", ())),
        locations=tuple(place_from_json(place) for place in data.get("locations", ())),
        remote_modes=tuple(RemoteMode(mode) for mode in data.get("remote_modes", ())),
        salary_floor=_salary_floor_from_json(data.get("salary_floor")),
        employment_types=tuple(EmploymentType(kind) for kind in data.get("employment_types", ())),
        industries=tuple(data.get("industries", ())),
        excluded_companies=tuple(data.get("excluded_companies", ())),
        willing_to_relocate=data.get("willing_to_relocate"),
        work_authorization=tuple(
            WorkAuthorization(country_code=entry["country_code"], authorized=entry["authorized"])
            for entry in data.get("work_authorization", ())
        ),
        needs_sponsorship=data.get("needs_sponsorship"),
        notice_period_days=data.get("notice_period_days"),
    )


def profile_to_row(profile: Profile) -> dict[str, Any]:
    """The column values of ``profile`` (documents wrapped for ``jsonb``)."""
    return {
        "user_id": profile.user_id,
        "name": profile.name,
        "headline": profile.headline,
        "email": profile.contact.email,
        "phone": profile.contact.phone,
        "links": Jsonb([link_to_json(link) for link in profile.contact.links]),
        "locations": Jsonb([place_to_json(place) for place in profile.locations]),
        "preferences": Jsonb(preferences_to_json(profile.preferences)),
        "updated_at": profile.updated_at,
    }


def profile_from_row(row: Mapping[str, Any]) -> Profile:
    """The profile stored in ``row``."""
    links: Sequence[Mapping[str, Any]] = row["links"] or ()
    locations: Sequence[Mapping[str, Any]] = row["locations"] or ()
    return Profile(
        user_id=row["user_id"],
        name=row["name"],
        headline=row["headline"],
        contact=ContactDetails(
            email=row["email"],
            phone=row["phone"],
            links=tuple(link_from_json(link) for link in links),
        ),
        locations=tuple(place_from_json(place) for place in locations),
        preferences=preferences_from_json(row["preferences"] or {}),
        updated_at=row["updated_at"],
    )


# ----------------------------------------------------------------------------- repository


class PostgresProfileRepository:
    """A ``ProfileRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (the unit of work's transaction)."""
        self._conn = conn

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> Profile | None:
        """The user's saved profile, if any; ``for_update`` first waits for the user's lock."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            if for_update:
                cur.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s::text))",
                    (_LOCK_NAMESPACE, str(user_id)),
                )
            cur.execute(f"SELECT {_COLUMNS} FROM profiles WHERE user_id = %s", (user_id,))
            row = cur.fetchone()
        return None if row is None else profile_from_row(row)

    def save(self, profile: Profile) -> None:
        """Insert the profile or replace the saved one; ``NotFound`` when the user is gone."""
        try:
            with translate_errors():
                self._conn.execute(
                    f"""
                    INSERT INTO profiles ({_COLUMNS})
                    VALUES (%(user_id)s, %(name)s, %(headline)s, %(email)s, %(phone)s,
                            %(links)s, %(locations)s, %(preferences)s, %(updated_at)s)
                    ON CONFLICT (user_id) DO UPDATE SET
                        name = EXCLUDED.name, headline = EXCLUDED.headline,
                        email = EXCLUDED.email, phone = EXCLUDED.phone,
                        links = EXCLUDED.links, locations = EXCLUDED.locations,
                        preferences = EXCLUDED.preferences, updated_at = EXCLUDED.updated_at
                    """,
                    profile_to_row(profile),
                )
        except pg_errors.ForeignKeyViolation:
            raise NotFound(f"user {profile.user_id} not found") from None

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the user's profile; ``False`` when there was none."""
        with translate_errors():
            cur = self._conn.execute("DELETE FROM profiles WHERE user_id = %s", (user_id,))
        return cur.rowcount > 0
