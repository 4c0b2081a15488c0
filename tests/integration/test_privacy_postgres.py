"""GDPR export and erasure on real PostgreSQL and Redis, through the API.

Two users get canary personal data everywhere the product keeps it (account, profile, résumé,
candidate profile, feedback, saved search, 2FA, a linked identity, Redis). User A exports, then
erases the account; afterwards every text and JSON column of every table, every Redis key and
value, and every captured log line is scanned for A's canaries: none may be left, B's must be.
"""

from __future__ import annotations

import io
import logging
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
import psycopg
import pytest
import structlog
from litestar.testing import TestClient
from psycopg import sql

if TYPE_CHECKING:
    import redis as redis_lib

from jobraker_adapters.observability import configure_logging
from jobraker_adapters.postgres.privacy import USER_OWNED_TABLES
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_core.accounts.oidc import OidcIdentity
from jobraker_core.accounts.privacy import user_cache_prefix
from jobraker_core.accounts.twofactor import time_step
from jobraker_core.jobs.model import EmploymentType, JobDraft, JobPosting, Location
from jobraker_core.jobs.salary import Salary
from jobraker_http import create_app

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


@attrs.frozen
class Person:
    """One user's canaries."""

    tag: str

    @property
    def email(self) -> str:
        """The account's email."""
        return f"canary.{self.tag}@example.com"

    @property
    def name(self) -> str:
        """The profile's name."""
        return f"Zephyrine Canary{self.tag.capitalize()}"

    @property
    def phone(self) -> str:
        """The profile's phone number."""
        return "+447700900123" if self.tag == "a5e1f" else "+447700900456"

    @property
    def resume(self) -> str:
        """The résumé's text."""
        return (
            f"{self.name}\nLocation: London, UK\n\nExperience\n"
            f"Senior Python Developer, Canaryworks {self.tag} Ltd - Jan 2019 - Present\n"
            f"- Built the {self.tag} fortran bridge with Python and PostgreSQL.\n\n"
            "Skills\nPython, Django, PostgreSQL\n"
        )

    @property
    def search(self) -> str:
        """A saved search's name."""
        return f"Search of {self.tag}"

    @property
    def note(self) -> str:
        """A feedback note."""
        return f"note {self.tag} about this job"

    @property
    def canaries(self) -> tuple[str, ...]:
        """What must be found while the person exists."""
        return (self.email, self.name, self.phone, "fortran bridge", self.search, self.note)


A, B = Person("a5e1f"), Person("b7c2d")
A_CANARIES = (A.email, A.name, A.phone, f"the {A.tag} fortran", A.search, A.note, A.tag)


@pytest.fixture
def log_stream(settings):
    """Every line logged during the test, at DEBUG, in a buffer."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(attrs.evolve(settings, log_level="DEBUG"), stream=stream)
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def api(pg_container, log_stream):
    """The API over the production container on the clean services."""
    with TestClient(create_app(pg_container)) as client:
        yield client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _job(container) -> uuid.UUID:
    now = container.clock().now()
    draft = JobDraft(
        source="test",
        source_id="privacy-1",
        title="Python Developer",
        description="Requirements:\n- Python\n- PostgreSQL",
        company="Globex",
        location=Location(city="London", country_code="GB"),
        salary=Salary(Decimal(50000), Decimal(70000), "GBP"),
        employment_type=EmploymentType.FULL_TIME,
        posted_at=now,
    )
    job = JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=now)
    with container.uow()() as uow:
        uow.jobs.save([job])
        uow.commit()
    return job.id


def _populate(api, container, person: Person, job_id: uuid.UUID, redis_client) -> dict:
    """Give ``person`` data everywhere; return its id, token and 2FA seed."""
    body = {"email": person.email, "password": PASSWORD}
    assert api.post("/api/v1/auth/register/", json=body).status_code == 201
    login = api.post("/api/v1/auth/login/", json=body)
    assert login.status_code == 200, login.text
    token = login.json()["data"]["access_token"]
    auth = _auth(token)
    profile = {"name": person.name, "headline": "Engines", "contact": {"phone": person.phone}}
    assert api.put("/api/v1/users/profile/", headers=auth, json=profile).is_success
    upload = api.post("/api/v1/users/resumes/", headers=auth, json={"text": person.resume})
    assert upload.status_code in {200, 201}, upload.text
    search = api.post("/api/v1/users/saved-searches/", headers=auth, json={"name": person.search})
    assert search.status_code in {200, 201}, search.text
    feedback = {"action": "dismiss", "reason": "other", "note": person.note}
    answer = api.post(f"/api/v1/jobs/{job_id}/feedback/", headers=auth, json=feedback)
    assert answer.status_code in {200, 201}, answer.text
    secret = api.post("/api/v1/auth/2fa/enrol/", headers=auth).json()["data"]["secret"]
    code = PyOtpTotp().code(secret, time_step(container.clock().now()))
    assert api.post("/api/v1/auth/2fa/confirm/", headers=auth, json={"code": code}).is_success
    me = api.get("/api/v1/users/me/export/", headers=auth).json()["data"]["user_id"]
    user_id = uuid.UUID(me)
    with container.uow()() as uow:
        uow.oidc_identities.add(
            OidcIdentity(
                provider="google",
                subject=f"sub-{person.tag}",
                user_id=user_id,
                email=person.email,
                linked_at=container.clock().now(),
            )
        )
        uow.commit()
    redis_client.set(user_cache_prefix(user_id) + "recommendations", f'{{"who": "{person.name}"}}')
    return {"id": user_id, "token": token, "auth": auth}


def _scan_tables(database_url: str, needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text or JSON column holding a needle."""
    found = []
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s) "
            "AND table_name NOT LIKE '\\_yoyo%%'",
            (list(TEXT_TYPES),),
        ).fetchall()
        for table, column in columns:
            for needle in needles:
                query = sql.SQL("SELECT count(*) FROM {} WHERE {}::text ILIKE %s").format(
                    sql.Identifier(table), sql.Identifier(column)
                )
                row = conn.execute(query, (f"%{needle}%",)).fetchone()
                if row and row[0]:
                    found.append((table, column, needle))
    return found


def _scan_redis(client: redis_lib.Redis, needles: tuple[str, ...]) -> list[str]:
    """Keys whose name or value holds a needle."""
    found = []
    for key in client.scan_iter(count=500):
        kind = client.type(key).decode()
        if kind == "string":
            value = client.get(key) or b""
        elif kind == "hash":
            value = repr(client.hgetall(key)).encode()
        elif kind == "list":
            value = repr(client.lrange(key, 0, -1)).encode()
        elif kind in {"set", "zset"}:
            value = repr(
                client.zrange(key, 0, -1) if kind == "zset" else client.smembers(key)
            ).encode()
        else:
            value = b""
        text = (key + b"\x00" + value).decode("utf-8", "replace").lower()
        found.extend(f"{key!r}: {n}" for n in needles if n.lower() in text)
    return found


def test_every_user_owned_table_is_known_to_export_and_erasure(pg_container, db):
    """Every table with a user_id column, or tied to one by foreign keys, is in USER_OWNED_TABLES.

    So a table added later cannot be forgotten by export and erasure.
    """
    listed = {owned.table for owned in USER_OWNED_TABLES}
    with psycopg.connect(db) as conn:
        with_user_id = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name = 'user_id'"
            )
        }
        edges = conn.execute(
            "SELECT child.relname, parent.relname FROM pg_constraint c "
            "JOIN pg_class child ON child.oid = c.conrelid "
            "JOIN pg_class parent ON parent.oid = c.confrelid "
            "WHERE c.contype = 'f' AND child.relnamespace = 'public'::regnamespace"
        ).fetchall()
    owned = {"users"} | with_user_id
    grew = True
    while grew:  # everything reachable through foreign keys from an owned table is owned
        more = {child for child, parent in edges if parent in owned} - owned
        grew = bool(more)
        owned |= more
    owned -= {"jobs", "job_embeddings", "job_sources", "embedding_models"}  # not personal
    assert owned <= listed, f"tables missing from USER_OWNED_TABLES: {sorted(owned - listed)}"
    assert {"users", "profiles", "resumes", "two_factor_enrolments", "oidc_identities"} <= owned


def test_export_then_erasure_leaves_no_trace_of_the_person(
    api, pg_container, settings, redis_client, log_stream
):
    """After A's complete export and erasure, nothing anywhere holds A's canaries.

    No table, Redis key or log line; B is untouched, A's tokens are refused, and the audit log
    keeps a tombstone.
    """
    job_id = _job(pg_container)
    a = _populate(api, pg_container, A, job_id, redis_client)
    b = _populate(api, pg_container, B, job_id, redis_client)

    exported = api.get("/api/v1/users/me/export/", headers=a["auth"])
    assert exported.status_code == 200
    sections = exported.json()["data"]["sections"]
    for name in (
        "account",
        "profile",
        "resumes",
        "candidate_profile",
        "feedback",
        "saved_searches",
        "sessions",
        "refresh_tokens",
        "two_factor",
        "recovery_codes",
        "linked_identities",
        "audit_events",
    ):
        assert sections.get(name), f"the export has no {name}"
    text = exported.text
    for canary in (A.email, A.name, A.phone, A.search, A.note, "fortran bridge"):
        assert canary in text
    for canary in (B.email, B.name, B.search, B.note, str(b["id"])):
        assert canary not in text
    for secret_column in ("password_hash", "totp_secret", "code_hash", "token_hash"):
        assert secret_column not in text
    assert "$argon2" not in text

    assert _scan_tables(settings.database_url, A_CANARIES)  # the scan does see the canaries

    erase = api.request(
        "DELETE", "/api/v1/users/me/", headers=a["auth"], json={"password": PASSWORD}
    )
    assert erase.status_code == 204, erase.text

    assert _scan_tables(settings.database_url, A_CANARIES) == []
    assert {n for _, _, n in _scan_tables(settings.database_url, B.canaries)} >= {
        B.email,
        B.name,
        B.phone,
        B.search,
        B.note,
    }
    assert _scan_redis(redis_client, A_CANARIES) == []
    assert _scan_redis(redis_client, (B.name,))
    assert not list(redis_client.scan_iter(match=user_cache_prefix(a["id"]) + "*"))
    assert [c for c in A_CANARIES if c.lower() in log_stream.getvalue().lower()] == []

    for path in ("/api/v1/auth/2fa/", "/api/v1/users/me/export/", "/api/v1/users/profile/"):
        assert api.get(path, headers=a["auth"]).status_code == 401
    login = api.post("/api/v1/auth/login/", json={"email": A.email, "password": PASSWORD})
    assert login.status_code == 401
    assert api.get("/api/v1/users/me/export/", headers=b["auth"]).status_code == 200

    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute(
            "SELECT actor_id, subject_id, details FROM audit_log WHERE kind = 'account_erased'"
        ).fetchall()
        remaining = conn.execute("SELECT count(*) FROM users WHERE id = %s", (a["id"],)).fetchone()
    assert remaining == (0,)
    assert len(rows) == 1
    actor, subject, details = rows[0]
    assert (actor, subject) == (None, None)
    assert details["tombstone"]
    assert str(a["id"]) not in str(details)
