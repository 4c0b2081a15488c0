"""``/api/v1/users/profile/``: read, replace and patch one's own profile, and nothing else."""

from __future__ import annotations

import json

import pytest
from auth_helpers import bearer_headers, log_in

PATH = "/api/v1/users/profile/"

FULL = {
    "name": "Ada Lovelace",
    "headline": "Analytical engine programmer",
    "contact": {
        "email": "Ada@Example.com",
        "phone": "+44 20 7946 0958",
        "links": [{"url": "https://github.com/ada", "label": "GitHub"}],
    },
    "locations": [{"city": "London", "country": "gb"}],
    "preferences": {
        "titles": ["Software Engineer", "Data Engineer"],
        "locations": [{"city": "Berlin", "country": "DE"}, {"country": "NL"}],
        "remote_modes": ["remote", "hybrid"],
        "salary_floor": {"amount": 65000, "currency": "gbp", "period": "year"},
        "employment_types": ["full_time", "contract"],
        "industries": ["Fintech"],
        "excluded_companies": ["Initech"],
        "willing_to_relocate": True,
        "work_authorization": {"gb": True, "US": False},
        "needs_sponsorship": False,
        "notice_period_days": 30,
    },
}


@pytest.fixture
def auth(container):
    """The Authorization header of a fresh user."""
    return bearer_headers(container)


def stored_profiles(container) -> dict:
    """What the in-memory store holds, by user id."""
    return dict(container.uow().store.profiles)


def test_a_new_user_reads_the_empty_profile(client, auth):
    """Before any save, GET answers the empty profile with updated_at null."""
    response = client.get(PATH, headers=auth)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] is None
    assert data["contact"] == {"email": None, "phone": None, "links": []}
    assert data["preferences"]["titles"] == []
    assert data["preferences"]["work_authorization"] == {}
    assert data["updated_at"] is None


def test_put_stores_the_profile_tidied(client, container, auth):
    """PUT stores every field, tidied (codes upper-cased, phone in E.164), and GET reads it."""
    response = client.put(PATH, headers=auth, json=FULL)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["contact"]["email"] == "ada@example.com"
    assert data["contact"]["phone"] == "+442079460958"
    assert data["locations"] == [{"city": "London", "region": None, "country": "GB"}]
    prefs = data["preferences"]
    assert prefs["remote_modes"] == ["hybrid", "remote"]
    assert prefs["salary_floor"] == {
        "amount": 65000,
        "currency": "GBP",
        "period": "year",
        "annual": 65000,
    }
    assert prefs["work_authorization"] == {"GB": True, "US": False}
    assert data["updated_at"] == "2026-01-15T12:00:00Z"
    assert client.get(PATH, headers=auth).json()["data"] == data


@pytest.mark.parametrize("path", ["/api/v1/users/profile", "/api/v1/users/profile/"])
def test_the_path_works_with_and_without_the_trailing_slash(client, auth, path):
    """Every method answers on both spellings of the path."""
    assert client.put(path, headers=auth, json={"name": "Ada"}).status_code == 200
    assert client.patch(path, headers=auth, json={"headline": "Hi"}).status_code == 200
    assert client.get(path, headers=auth).json()["data"]["headline"] == "Hi"


def test_put_clears_what_it_leaves_out(client, auth):
    """A second PUT replaces the profile: fields it does not send are cleared."""
    client.put(PATH, headers=auth, json=FULL)
    data = client.put(PATH, headers=auth, json={"name": "Ada"}).json()["data"]
    assert data["name"] == "Ada"
    assert data["contact"]["email"] is None
    assert data["preferences"]["salary_floor"] is None


def test_patch_changes_only_what_it_names(client, auth):
    """PATCH merges: given fields change, null clears, everything else stays."""
    client.put(PATH, headers=auth, json=FULL)
    body = {
        "headline": None,
        "contact": {"phone": None},
        "preferences": {"notice_period_days": 90, "titles": ["CTO"], "salary_floor": None},
    }
    data = client.patch(PATH, headers=auth, json=body).json()["data"]
    assert data["headline"] is None
    assert data["contact"]["phone"] is None
    assert data["contact"]["email"] == "ada@example.com"
    assert data["preferences"]["notice_period_days"] == 90
    assert data["preferences"]["titles"] == ["CTO"]
    assert data["preferences"]["salary_floor"] is None
    assert data["preferences"]["industries"] == ["Fintech"]
    assert data["name"] == "Ada Lovelace"


def test_patch_null_clears_a_whole_section(client, auth):
    """``contact: null`` or ``preferences: null`` clears every field of that section."""
    client.put(PATH, headers=auth, json=FULL)
    data = client.patch(PATH, headers=auth, json={"contact": None, "preferences": None}).json()
    assert data["data"]["contact"] == {"email": None, "phone": None, "links": []}
    assert data["data"]["preferences"]["titles"] == []
    assert data["data"]["preferences"]["willing_to_relocate"] is None
    assert data["data"]["name"] == "Ada Lovelace"


def test_an_empty_patch_changes_nothing(client, auth):
    """PATCH {} answers the profile as stored, save time included."""
    before = client.put(PATH, headers=auth, json=FULL).json()["data"]
    assert client.patch(PATH, headers=auth, json={}).json()["data"] == before


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_no_token_no_profile(anonymous_client, container, method):
    """Without a bearer token every method answers 401 and nothing is stored."""
    kwargs = {} if method == "get" else {"json": {"name": "Mallory"}}
    response = getattr(anonymous_client, method)(PATH, **kwargs)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert stored_profiles(container) == {}


def test_each_user_sees_only_their_own_profile(client, container):
    """B's GET never shows A's profile, and B's writes never touch A's."""
    user_a, tokens_a = log_in(container)
    auth_a = {"Authorization": f"Bearer {tokens_a.access_token}"}
    auth_b = bearer_headers(container)
    client.put(PATH, headers=auth_a, json=FULL)
    assert client.get(PATH, headers=auth_b).json()["data"]["name"] is None
    client.put(PATH, headers=auth_b, json={"name": "Bob"})
    client.patch(PATH, headers=auth_b, json={"preferences": None})
    assert client.get(PATH, headers=auth_a).json()["data"]["name"] == "Ada Lovelace"
    assert stored_profiles(container)[user_a].name == "Ada Lovelace"


# ----------------------------------------------------------------------------- mass assignment

FORBIDDEN = ["user_id", "id", "role", "created_at", "updated_at", "is_admin", "status", "owner"]


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("field", FORBIDDEN)
def test_fields_clients_may_not_set_are_refused(client, container, auth, method, field):
    """A body naming an id, owner, role, status or timestamp is 422 naming it; nothing stored."""
    client.put(PATH, headers=auth, json={"name": "Ada"})
    before = stored_profiles(container)
    body = {"name": "Mallory", field: "00000000-0000-0000-0000-000000000000"}
    response = getattr(client, method)(PATH, headers=auth, json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert stored_profiles(container) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact": {"is_admin": True}}, "contact.is_admin"),
        ({"preferences": {"user_id": "x"}}, "preferences.user_id"),
        ({"locations": [{"city": "Paris", "owner": "x"}]}, "locations.owner"),
        (
            {"preferences": {"salary_floor": {"amount": 1, "currency": "EUR", "status": "x"}}},
            "preferences.salary_floor.status",
        ),
    ],
)
def test_unknown_nested_fields_are_refused_by_path(client, container, auth, body, field):
    """Unknown fields inside nested objects are refused too, named by their dotted path."""
    response = client.patch(PATH, headers=auth, json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert stored_profiles(container) == {}


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact": {"email": "not an email"}}, "contact.email"),
        ({"contact": {"phone": "020 7946 0958"}}, "contact.phone"),
        ({"contact": {"links": [{"url": "javascript:alert(1)"}]}}, "contact.links.url"),
        ({"contact": {"links": [{"url": "https://u:p@example.com"}]}}, "contact.links.url"),
        ({"locations": [{"country": "Germany"}]}, "locations.country"),
        ({"locations": [{"country": "D1"}]}, "locations.country"),
        ({"locations": [{}]}, "locations"),
        (
            {"preferences": {"salary_floor": {"amount": -1, "currency": "GBP"}}},
            "preferences.salary_floor.amount",
        ),
        (
            {"preferences": {"salary_floor": {"amount": 1, "currency": "pounds"}}},
            "preferences.salary_floor.currency",
        ),
        (
            {
                "preferences": {
                    "salary_floor": {"amount": 1, "currency": "GBP", "period": "fortnight"}
                }
            },
            "preferences.salary_floor.period",
        ),
        (
            {"preferences": {"salary_floor": {"amount": "lots", "currency": "GBP"}}},
            "preferences.salary_floor.amount",
        ),
        ({"preferences": {"remote_modes": ["anywhere"]}}, "preferences.remote_modes"),
        ({"preferences": {"employment_types": ["gig"]}}, "preferences.employment_types"),
        ({"preferences": {"notice_period_days": 400}}, "preferences.notice_period_days"),
        ({"preferences": {"notice_period_days": -1}}, "preferences.notice_period_days"),
        ({"preferences": {"willing_to_relocate": "yes"}}, "preferences.willing_to_relocate"),
        ({"preferences": {"work_authorization": {"GBR": True}}}, "preferences.work_authorization"),
        (
            {"preferences": {"work_authorization": {"g1": True}}},
            "preferences.work_authorization.country_code",
        ),
        ({"preferences": {"titles": ["  "]}}, "preferences.titles"),
        ({"preferences": {"titles": "Engineer"}}, "preferences.titles"),
        ({"name": 42}, "name"),
        ({"headline": "bad\u0000byte"}, "headline"),
    ],
)
def test_invalid_values_are_422_naming_the_field(client, container, auth, body, field):
    """Every refused value answers 422 with the dotted path of the field; nothing is stored."""
    response = client.patch(PATH, headers=auth, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert stored_profiles(container) == {}


# ----------------------------------------------------------------------------- resource limits


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 100_000},
        {"headline": "x" * 301},
        {"preferences": {"titles": ["t"] * 10_000}},
        {"preferences": {"excluded_companies": [f"c{i}" for i in range(201)]}},
        {"preferences": {"industries": ["x" * 201]}},
        {"contact": {"links": [{"url": "https://e.com/" + "a" * 3000}]}},
        {
            "preferences": {
                "work_authorization": {f"{a}{b}": True for a in "ABCDEFGH" for b in "ABCDEFGH"}
            }
        },
        {"preferences": {"notice_period_days": 10**30}},
        {"preferences": {"salary_floor": {"amount": "1e999999", "currency": "GBP"}}},
    ],
)
def test_oversized_fields_are_refused_not_crashed(client, auth, body):
    """Huge strings, lists, maps and numbers answer 4xx (never 5xx)."""
    response = client.put(PATH, headers=auth, json=body)
    assert 400 <= response.status_code < 500, response.text


def test_a_body_over_the_limit_is_413(client, auth):
    """A body larger than the configured limit (1 MiB by default) answers 413."""
    body = json.dumps({"name": "x" * (1024 * 1024 + 1)})
    response = client.put(PATH, headers={**auth, "content-type": "application/json"}, content=body)
    assert response.status_code == 413
    assert response.json()["status"] == 413


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_json_is_refused_not_crashed(client, auth, depth):
    """Arrays and objects nested thousands deep answer 4xx, never 5xx."""
    for body in (
        "[" * depth + "]" * depth,
        '{"a":' * depth + "1" + "}" * depth,
        '{"name":' + "[" * depth + "]" * depth + "}",
    ):
        response = client.put(
            PATH, headers={**auth, "content-type": "application/json"}, content=body
        )
        assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("raw", ["{", "null", '"text"', "[]", "", "\xff\xfe"])
def test_malformed_bodies_are_4xx(client, auth, raw):
    """Broken or non-object JSON answers 4xx."""
    response = client.patch(
        PATH, headers={**auth, "content-type": "application/json"}, content=raw.encode("latin-1")
    )
    assert 400 <= response.status_code < 500


def test_page_sizes_are_capped(client, auth):
    """A huge per_page on a list endpoint is clamped to the maximum, not refused or obeyed."""
    response = client.get("/api/v1/jobs/", params={"per_page": 10**9}, headers=auth)
    assert response.status_code == 200
    assert response.json()["meta"]["pagination"]["per_page"] == 100


def test_answers_are_not_cached(client, auth):
    """Profile answers carry Cache-Control: no-store (they hold personal data)."""
    assert client.get(PATH, headers=auth).headers["cache-control"] == "no-store"
