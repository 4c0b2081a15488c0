"""Two-factor sign-in on real PostgreSQL and Redis: the journey, and single use under races."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from jobraker_adapters.memory import FixedClock
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_core.accounts.second_factor import SecondFactorRequired
from jobraker_core.accounts.twofactor import CompleteLogin, SecondFactorProof, time_step
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.errors import Unauthenticated
from jobraker_http import create_app

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"
TOTP = PyOtpTotp()
RACERS = 4


@pytest.fixture
def clock(pg_container) -> FixedClock:
    """A clock the test moves, in place of the system clock (set before anything uses it)."""
    fixed = FixedClock()
    pg_container.clock.override(providers.Object(fixed))
    return fixed


def _enrolled(container, clock: FixedClock, email: str) -> tuple[uuid.UUID, str]:
    """An account with 2FA on; its id and seed. The clock then moves two steps on."""
    user = container.create_user_account()(CreateUser(email=email, password=PASSWORD))
    principal = user.principal("t")
    setup = container.start_totp_enrolment()(principal)
    container.confirm_totp_enrolment()(principal, TOTP.code(setup.secret, time_step(clock.now())))
    clock.advance(seconds=60)
    return user.id, setup.secret


def _challenge(container, email: str) -> str:
    required = container.login()(LogIn(email=email, password=PASSWORD))
    assert isinstance(required, SecondFactorRequired)
    return required.challenge


def test_the_journey_through_the_api(pg_container, clock, settings):
    """Register, enrol, confirm, log in with a code, refresh; the seed is stored sealed only."""
    email = "ada@example.com"
    with TestClient(create_app(pg_container)) as api:
        body = {"email": email, "password": PASSWORD}
        assert api.post("/api/v1/auth/register/", json=body).status_code == 201
        token = api.post("/api/v1/auth/login/", json=body).json()["data"]["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        secret = api.post("/api/v1/auth/2fa/enrol/", headers=auth).json()["data"]["secret"]
        code = TOTP.code(secret, time_step(clock.now()))
        confirm = api.post("/api/v1/auth/2fa/confirm/", headers=auth, json={"code": code})
        assert confirm.status_code == 200, confirm.text
        recovery = confirm.json()["data"]["recovery_codes"]
        clock.advance(seconds=60)
        first = api.post("/api/v1/auth/login/", json=body).json()["data"]
        assert first["two_factor_required"] is True
        second = api.post(
            "/api/v1/auth/login/2fa/",
            json={
                "challenge": first["challenge"],
                "code": TOTP.code(secret, time_step(clock.now())),
            },
        )
        assert second.status_code == 200, second.text
        refresh = {"refresh_token": second.json()["data"]["refresh_token"]}
        assert api.post("/api/v1/auth/refresh/", json=refresh).status_code == 200
        status = api.get("/api/v1/auth/2fa/", headers=auth)
        assert status.json()["data"]["enabled"] is True
        assert secret not in status.text
    with psycopg.connect(settings.database_url) as conn:
        sealed, step = conn.execute(
            "SELECT totp_secret, last_used_step FROM two_factor_enrolments"
        ).fetchone()
        digests = [row[0] for row in conn.execute("SELECT code_hash FROM recovery_codes")]
        kinds = {row[0] for row in conn.execute("SELECT kind FROM audit_log")}
    assert secret.encode() not in bytes(sealed)
    assert step == time_step(clock.now())
    assert len(digests) == 10
    assert not set(recovery) & set(digests)
    assert {"two_factor_enrolment_started", "two_factor_enabled", "two_factor_challenged"} <= kinds


def test_a_code_races_itself_and_wins_once(pg_container, clock):
    """The same code sent with four challenges at once completes exactly one login."""
    user_id, secret = _enrolled(pg_container, clock, "race@example.com")
    code = TOTP.code(secret, time_step(clock.now()))
    challenges = [_challenge(pg_container, "race@example.com") for _ in range(RACERS)]
    use_case = pg_container.complete_two_factor_login()
    start = threading.Barrier(RACERS)

    def attempt(challenge: str) -> bool:
        start.wait()
        try:
            use_case(CompleteLogin(challenge=challenge, proof=SecondFactorProof(code=code)))
        except Unauthenticated:
            return False
        return True

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(attempt, challenges))
    assert outcomes.count(True) == 1
    with pg_container.uow()() as uow:
        assert uow.two_factor.get(user_id).last_used_step == time_step(clock.now())


def test_a_recovery_code_races_itself_and_wins_once(pg_container, clock):
    """One recovery code sent with four challenges at once completes exactly one login."""
    _, secret = _enrolled(pg_container, clock, "codes@example.com")
    principal_id = None
    with pg_container.uow()() as uow:
        principal_id = uow.users.by_email("codes@example.com").id
    codes = pg_container.regenerate_recovery_codes()(
        _principal(pg_container, principal_id), TOTP.code(secret, time_step(clock.now()))
    )
    challenges = [_challenge(pg_container, "codes@example.com") for _ in range(RACERS)]
    use_case = pg_container.complete_two_factor_login()
    start = threading.Barrier(RACERS)

    def attempt(challenge: str) -> bool:
        start.wait()
        proof = SecondFactorProof(recovery_code=codes.codes[0])
        try:
            use_case(CompleteLogin(challenge=challenge, proof=proof))
        except Unauthenticated:
            return False
        return True

    with ThreadPoolExecutor(RACERS) as pool:
        assert list(pool.map(attempt, challenges)).count(True) == 1
    assert (
        pg_container.get_two_factor_status()(
            _principal(pg_container, principal_id)
        ).recovery_codes_left
        == 9
    )


def _principal(container, user_id: uuid.UUID):
    with container.uow()() as uow:
        return uow.users.get(user_id).principal("t")


@pytest.mark.parametrize(("offset", "accepted"), [(0, True), (1, True), (2, False), (-1, False)])
def test_only_the_current_and_previous_steps_work_on_postgresql(
    pg_container, clock, offset, accepted
):
    """T and t-1 complete a login; t-2 and t+1 do not."""
    _, secret = _enrolled(pg_container, clock, "steps@example.com")
    code = TOTP.code(secret, time_step(clock.now()) - offset)
    challenge = _challenge(pg_container, "steps@example.com")
    use_case = pg_container.complete_two_factor_login()
    if accepted:
        assert use_case(CompleteLogin(challenge=challenge, proof=SecondFactorProof(code=code)))
    else:
        with pytest.raises(Unauthenticated):
            use_case(CompleteLogin(challenge=challenge, proof=SecondFactorProof(code=code)))


def test_guessing_is_locked_out_in_redis(pg_container, clock):
    """Five wrong codes lock the account's code checks (429) across processes, via Redis."""
    _, secret = _enrolled(pg_container, clock, "guess@example.com")
    with TestClient(create_app(pg_container)) as api:
        body = {"email": "guess@example.com", "password": PASSWORD}
        challenge = api.post("/api/v1/auth/login/", json=body).json()["data"]["challenge"]
        for guess in range(5):
            answer = api.post(
                "/api/v1/auth/login/2fa/", json={"challenge": challenge, "code": f"{guess:06d}"}
            )
            assert answer.status_code == 401
        fresh = api.post("/api/v1/auth/login/", json=body).json()["data"]["challenge"]
        locked = api.post(
            "/api/v1/auth/login/2fa/",
            json={"challenge": fresh, "code": TOTP.code(secret, time_step(clock.now()))},
        )
        assert locked.status_code == 429
        assert "Retry-After" in locked.headers
