"""Skyvern webhook verification (raw-body HMAC, key rotation) and payload reading."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes.skyvern_server import Outcome, Run, payload_bytes, sign_payload
from jobraker_adapters.submitters.skyvern_webhook import SkyvernRunWebhook, sign
from jobraker_core.applications.submission import BlockSignal, RunState
from jobraker_core.errors import InvalidInput, Unauthenticated

CURRENT = "sk-current-0123456789"
PREVIOUS = "sk-previous-9876543210"
OTHER = "sk-someone-else-000000"


def _run(outcome: Outcome = Outcome.CONFIRMED, status: str = "completed") -> Run:
    run = Run(
        "tsk_v2_490440779503357994",
        {"prompt": "apply", "url": "https://careers.example.com/apply"},
        outcome,
        490440779503357994,
    )
    run.end()
    run.status = status
    run.polls = 4
    return run


def _payload(**changes: Any) -> dict[str, Any]:
    payload = _run().webhook_payload("https://app.skyvern.fake")
    payload.update(changes)
    return payload


def _signed(payload: dict[str, Any] | None = None, key: str = CURRENT) -> tuple[bytes, dict]:
    return sign_payload(payload or _payload(), key)


@pytest.fixture
def webhook() -> SkyvernRunWebhook:
    """A webhook reader during a rotation: the current and the previous key."""
    return SkyvernRunWebhook.of(CURRENT, PREVIOUS)


# ----------------------------------------------------------------------------- the signature


def test_a_body_signed_with_the_current_key_is_read(webhook):
    """A callback signed with the current key is accepted and parsed."""
    body, headers = _signed()
    report = webhook.read(body, headers)
    assert report.run_id == "tsk_v2_490440779503357994"
    assert report.state is RunState.COMPLETED


def test_a_body_signed_with_the_previous_key_is_read_during_rotation(webhook):
    """During a rotation the previous key still verifies."""
    body, headers = _signed(key=PREVIOUS)
    assert webhook.read(body, headers).state is RunState.COMPLETED


def test_the_previous_key_fails_once_the_rotation_is_over():
    """Without the previous key configured, its signatures are refused."""
    body, headers = _signed(key=PREVIOUS)
    with pytest.raises(Unauthenticated):
        SkyvernRunWebhook.of(CURRENT).read(body, headers)


def test_a_missing_signature_is_refused(webhook):
    """No ``x-skyvern-signature`` header: 401."""
    body, headers = _signed()
    del headers["x-skyvern-signature"]
    with pytest.raises(Unauthenticated):
        webhook.read(body, headers)


@pytest.mark.parametrize("value", ["", "   ", "0" * 64, "not-hex", "sha256=abc"])
def test_an_empty_or_wrong_signature_is_refused(webhook, value):
    """Empty, zero, non-hex or prefixed signatures are refused."""
    body, headers = _signed()
    headers["x-skyvern-signature"] = value
    with pytest.raises(Unauthenticated):
        webhook.read(body, headers)


def test_a_signature_under_another_key_is_refused(webhook):
    """A body signed with a key we do not hold is refused."""
    body, headers = _signed(key=OTHER)
    with pytest.raises(Unauthenticated):
        webhook.read(body, headers)


def test_one_changed_byte_is_refused(webhook):
    """Changing a single byte of the signed body breaks the signature."""
    body, headers = _signed()
    tampered = body.replace(b'"completed"', b'"completeD"', 1)
    assert tampered != body
    with pytest.raises(Unauthenticated):
        webhook.read(tampered, headers)


def test_a_reserialised_body_is_refused(webhook):
    """The MAC is over the raw bytes: the same JSON serialised differently does not verify."""
    body, headers = _signed()
    reserialised = json.dumps(json.loads(body)).encode()
    assert json.loads(reserialised) == json.loads(body)
    with pytest.raises(Unauthenticated):
        webhook.read(reserialised, headers)


def test_the_signature_header_name_is_case_insensitive(webhook):
    """Headers arrive in any case (``X-Skyvern-Signature``)."""
    body, headers = _signed()
    upper = {key.title(): value for key, value in headers.items()}
    assert webhook.read(body, upper).state is RunState.COMPLETED


def test_no_configured_key_refuses_everything():
    """Without a Skyvern key every callback is refused, even one signed with an empty key."""
    body, _ = _signed()
    empty_signature = hmac.new(b"", body, hashlib.sha256).hexdigest()
    with pytest.raises(Unauthenticated):
        SkyvernRunWebhook.of(None).read(body, {"x-skyvern-signature": empty_signature})


def test_the_timestamp_is_not_part_of_the_signature(webhook):
    """A fresh timestamp does not change the verdict: replays are the use case's to absorb."""
    body, headers = _signed()
    headers["x-skyvern-timestamp"] = "1"
    assert webhook.read(body, headers).run_id == "tsk_v2_490440779503357994"


@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_is_refused(position, flip):
    """Property: flipping bits of any one byte of a signed body makes it unverifiable."""
    body, headers = _signed()
    index = position % len(body)
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(Unauthenticated):
        SkyvernRunWebhook.of(CURRENT, PREVIOUS).read(tampered, headers)


# ----------------------------------------------------------------------------- the fake's signer


def test_the_fakes_signer_follows_skyverns_algorithm():
    """Compact separators, UTF-8 not escaped, integral floats as ints, hex HMAC of the bytes."""
    payload = {"step_count": 4.0, "ratio": 0.5, "text": "reçue", "nested": [{"n": 2.0}]}
    body, headers = sign_payload(payload, CURRENT)
    assert body == '{"step_count":4,"ratio":0.5,"text":"reçue","nested":[{"n":2}]}'.encode()
    assert headers["x-skyvern-signature"] == sign(body, CURRENT)
    assert headers["x-skyvern-timestamp"].isdigit()
    assert body == payload_bytes(payload)


def test_a_real_signed_callback_from_the_fake_is_read_in_full(webhook):
    """The fake's merged v2 payload (naive timestamps, both ids, extra keys) reads completely."""
    body, headers = _signed()
    assert b'"step_count":7,' in body  # sent as 7.0, normalised before signing
    report = webhook.read(body, headers)
    assert report.run_id == "tsk_v2_490440779503357994"
    assert report.state is RunState.COMPLETED
    assert report.confirmation is not None
    assert report.confirmation.startswith("APP-490440779503357994: Merci")
    assert report.steps == 7
    assert report.blocked_by is None
    assert report.dry_run is False


# ----------------------------------------------------------------------------- the payload


def test_a_legacy_v1_payload_is_read_from_task_id_and_extracted_information(webhook):
    """A v1-engine callback: ``task_id`` and ``extracted_information`` instead of the v2 keys."""
    payload = {
        "task_id": "tsk_1234",
        "status": "completed",
        "extracted_information": {"application_submitted": True, "confirmation_number": "R-9"},
        "created_at": "2026-01-31T15:20:42.160725",
        "finished_at": "2026-01-31T15:23:34.992815",
        "something_new": {"deep": [1, 2, 3]},
    }
    report = webhook.read(*_signed(payload))
    assert report.run_id == "tsk_1234"
    assert report.confirmation == "R-9"


def test_a_completed_run_saying_not_submitted_has_no_confirmation(webhook):
    """``application_submitted: false`` is not evidence even with a message."""
    payload = _payload(
        output={"application_submitted": False, "confirmation_message": "Thanks for visiting"}
    )
    assert webhook.read(*_signed(payload)).confirmation is None


def test_a_failed_run_carries_the_error_code_and_signal(webhook):
    """A failure with our error code in ``errors`` maps to its block signal and reason."""
    payload = _payload(
        status="failed",
        output=None,
        failure_reason="Blocked.",
        errors=[{"error_code": "login_wall", "reasoning": "Sign in required"}],
    )
    report = webhook.read(*_signed(payload))
    assert report.state is RunState.FAILED
    assert report.blocked_by is BlockSignal.LOGIN_WALL
    assert report.failure_reason == "login_wall: Blocked."


def test_a_failure_reason_in_words_still_gives_a_signal(webhook):
    """Without an error code, a CAPTCHA named in ``failure_reason`` is still recognised."""
    payload = _payload(status="terminated", output=None, failure_reason="Hit a reCAPTCHA wall")
    assert webhook.read(*_signed(payload)).blocked_by is BlockSignal.CAPTCHA


def test_canceled_is_spelt_with_one_l(webhook):
    """``canceled`` reads as the canceled state and is no site failure."""
    report = webhook.read(*_signed(_payload(status="canceled", output=None)))
    assert report.state is RunState.CANCELED
    assert report.blocked_by is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2, 3]",
        b'"completed"',
        b'{"status": "completed"}',
        b'{"run_id": "", "status": "completed"}',
        b'{"run_id": "tsk_1", "status": "cancelled"}',
        b'{"run_id": "tsk_1"}',
        b"\xff\xfe",
    ],
)
def test_a_signed_body_that_is_not_a_run_is_invalid_input(webhook, body):
    """Correctly signed garbage is ``InvalidInput``, never a crash."""
    headers = {"x-skyvern-signature": sign(body, CURRENT)}
    with pytest.raises(InvalidInput):
        webhook.read(body, headers)


def test_an_unsigned_malformed_body_is_unauthenticated_first(webhook):
    """The signature is checked before the body is parsed."""
    with pytest.raises(Unauthenticated):
        webhook.read(b"not json", {"x-skyvern-signature": "00"})
