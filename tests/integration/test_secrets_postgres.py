"""Secrets at rest on real PostgreSQL: no plaintext, tampering and swaps detected, rotation.

Keys are rotated with ``jobraker secrets rotate``.
"""

from __future__ import annotations

import base64
import json
import secrets

import attrs
import psycopg
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from jobraker_adapters.container import build_container
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.security.secretbox import KEYRING_FILE
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_cli.main import main
from jobraker_core.accounts.second_factor import SecondFactorRequired
from jobraker_core.accounts.twofactor import CompleteLogin, SecondFactorProof, time_step
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.errors import SecretUnreadable
from jobraker_http import create_app

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"
TOTP = PyOtpTotp()


def _container(settings, clock: FixedClock):
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    return container


def _enrol(container, clock: FixedClock, email: str) -> str:
    user = container.create_user_account()(CreateUser(email=email, password=PASSWORD))
    setup = container.start_totp_enrolment()(user.principal("t"))
    code = TOTP.code(setup.secret, time_step(clock.now()))
    container.confirm_totp_enrolment()(user.principal("t"), code)
    return setup.secret


def _log_in_with_code(container, clock: FixedClock, email: str, secret: str) -> None:
    required = container.login()(LogIn(email=email, password=PASSWORD))
    assert isinstance(required, SecondFactorRequired)
    code = TOTP.code(secret, time_step(clock.now()))
    container.complete_two_factor_login()(
        CompleteLogin(challenge=required.challenge, proof=SecondFactorProof(code=code))
    )


def _rows(database_url: str) -> dict[str, bytes]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT u.email, t.totp_secret FROM two_factor_enrolments t "
            "JOIN users u ON u.id = t.user_id"
        ).fetchall()
    return {email: bytes(sealed) for email, sealed in rows}


def _key_id(sealed: bytes) -> str:
    return sealed[2 : 2 + sealed[1]].decode()


@pytest.fixture
def clock() -> FixedClock:
    """The time the test sets."""
    return FixedClock()


def test_no_plaintext_at_rest_and_never_in_an_answer(settings, db, redis_client, clock):
    """The row holds only the seal; the status and the export never show the seed."""
    container = _container(settings, clock)
    try:
        with TestClient(create_app(container)) as api:
            body = {"email": "ada@example.com", "password": PASSWORD}
            api.post("/api/v1/auth/register/", json=body)
            token = api.post("/api/v1/auth/login/", json=body).json()["data"]["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            secret = api.post("/api/v1/auth/2fa/enrol/", headers=auth).json()["data"]["secret"]
            code = TOTP.code(secret, time_step(clock.now()))
            assert api.post(
                "/api/v1/auth/2fa/confirm/", headers=auth, json={"code": code}
            ).is_success
            answers = [
                api.get("/api/v1/auth/2fa/", headers=auth).text,
                api.get("/api/v1/users/me/export/", headers=auth).text,
            ]
    finally:
        container.shutdown_resources()
    sealed = _rows(settings.database_url)["ada@example.com"]
    raw = base64.b32decode(secret)
    for form in (secret.encode(), secret.lower().encode(), raw, raw.hex().encode()):
        assert form not in sealed
    for answer in answers:
        assert secret not in answer
        assert base64.b64encode(sealed).decode() not in answer


def test_a_changed_byte_is_an_error_not_a_wrong_code(settings, db, redis_client, clock):
    """Flipping one stored byte makes the seed unreadable (a clear error), never a garbage seed."""
    container = _container(settings, clock)
    try:
        secret = _enrol(container, clock, "ada@example.com")
        clock.advance(seconds=60)
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(
                "UPDATE two_factor_enrolments SET totp_secret = "
                "set_byte(totp_secret, length(totp_secret) - 5, "
                "get_byte(totp_secret, length(totp_secret) - 5) # 1)"
            )
        with pytest.raises(SecretUnreadable, match="altered, moved"):
            _log_in_with_code(container, clock, "ada@example.com", secret)
        with TestClient(create_app(container)) as api:
            body = {"email": "ada@example.com", "password": PASSWORD}
            challenge = api.post("/api/v1/auth/login/", json=body).json()["data"]["challenge"]
            answer = api.post(
                "/api/v1/auth/login/2fa/",
                json={"challenge": challenge, "code": TOTP.code(secret, time_step(clock.now()))},
            )
        assert answer.status_code == 500
        assert "access_token" not in answer.text
    finally:
        container.shutdown_resources()


def test_seals_swapped_between_users_do_not_open(settings, db, redis_client, clock):
    """Copying B's seal into A's row (and back) is detected by the associated data."""
    container = _container(settings, clock)
    try:
        secret_a = _enrol(container, clock, "a@example.com")
        secret_b = _enrol(container, clock, "b@example.com")
        clock.advance(seconds=60)
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(
                "UPDATE two_factor_enrolments t SET totp_secret = o.totp_secret "
                "FROM two_factor_enrolments o WHERE o.user_id <> t.user_id"
            )
        rows = _rows(settings.database_url)
        assert rows["a@example.com"] != rows["b@example.com"]
        for email, secret in (("a@example.com", secret_b), ("b@example.com", secret_a)):
            with pytest.raises(SecretUnreadable):
                _log_in_with_code(container, clock, email, secret)
    finally:
        container.shutdown_resources()


def test_the_rotate_command_reseals_under_a_new_key(settings, db, redis_client, clock, capsys):
    """``jobraker secrets rotate --new-key`` re-seals every seed; the old key can then go."""
    first = _container(settings, clock)
    try:
        secrets_by_email = {e: _enrol(first, clock, e) for e in ("a@example.com", "b@example.com")}
    finally:
        first.shutdown_resources()
    old_key = {_key_id(sealed) for sealed in _rows(settings.database_url).values()}
    assert len(old_key) == 1

    def build(_settings):
        return _container(settings, clock)

    argv = ["secrets", "rotate", "--new-key", "--data-dir", str(settings.data_dir)]
    assert main(argv, build=build) == 0
    assert "2 re-sealed" in capsys.readouterr().out
    new_key = {_key_id(sealed) for sealed in _rows(settings.database_url).values()}
    assert len(new_key) == 1
    assert new_key != old_key

    keyring_path = settings.data_dir / KEYRING_FILE
    document = json.loads(keyring_path.read_text())
    assert document["current"] in new_key
    del document["keys"][next(iter(old_key))]
    keyring_path.write_text(json.dumps(document))
    clock.advance(seconds=60)
    after = _container(settings, clock)
    try:
        for email, secret in secrets_by_email.items():
            _log_in_with_code(after, clock, email, secret)
    finally:
        after.shutdown_resources()
    assert main(["secrets", "rotate", "--data-dir", str(settings.data_dir)], build=build) == 0
    assert "0 re-sealed" in capsys.readouterr().out


def test_rotation_with_keys_from_the_environment(settings, db, redis_client, clock):
    """With JOBRAKER_SECRET_KEYS, a new current key plus ``RotateSecrets`` moves every seal."""
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    encode = lambda key: base64.b64encode(key).decode()  # noqa: E731 - a tiny local helper
    only_old = attrs.evolve(settings, secret_keys=(("old", encode(old)),), secret_key_id="old")
    container = _container(only_old, clock)
    try:
        secret = _enrol(container, clock, "ada@example.com")
    finally:
        container.shutdown_resources()
    both = attrs.evolve(
        settings, secret_keys=(("new", encode(new)), ("old", encode(old))), secret_key_id="new"
    )
    container = _container(both, clock)
    try:
        report = container.rotate_secrets()()
    finally:
        container.shutdown_resources()
    assert (report.checked, report.resealed, report.key_id) == (1, 1, "new")
    assert _key_id(_rows(settings.database_url)["ada@example.com"]) == "new"
    only_new = attrs.evolve(settings, secret_keys=(("new", encode(new)),), secret_key_id="new")
    clock.advance(seconds=60)
    container = _container(only_new, clock)
    try:
        _log_in_with_code(container, clock, "ada@example.com", secret)
    finally:
        container.shutdown_resources()
