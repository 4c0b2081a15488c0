"""``Idempotency-Key``: a retried create request gets the first answer instead of a second effect.

Semantics (reliability.md §4, Stripe's and the IETF draft's):

- keys are scoped per user: two people may use the same key independently;
- a request is identified by its *fingerprint*, the SHA-256 of its method, path (with the query
  string) and raw body;
- the first request with a key *claims* it and runs; its final response is stored;
- the same key with the same fingerprint again → the stored response, replayed;
- the same key with a different fingerprint → ``InvalidInput`` (422): a key names one request;
- the same key while the first request is still running → ``Conflict`` (409): retry later;
- a request that failed on the server side (5xx, or a crash) is *abandoned*: the key is free
  again and a retry runs anew. So is one refused for reasons that may pass (401, 403, 408, 425,
  429): only answers that a retry would get again are stored;
- records expire 24 hours after the claim (the key may then be used afresh); a claim whose
  request never finished (its process died) is taken over after a short lease.

``IdempotentRequests`` holds these rules; ``IdempotencyStore`` only stores records atomically.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Final, Protocol

import attrs

from jobraker_core.clock import Clock
from jobraker_core.errors import Conflict, InvalidInput

HEADER: Final = "Idempotency-Key"
RECORD_TTL: Final = timedelta(hours=24)
IN_FLIGHT_LEASE: Final = timedelta(minutes=2)
MAX_KEY_LENGTH: Final = 255
MAX_STORED_BODY: Final = 1024 * 1024
# Statuses worth replaying are the ones a retry would get again: not server failures, and not
# refusals that may pass (credentials, timeouts, "too early", rate limits).
_NOT_STORED: Final = frozenset({401, 403, 408, 425, 429})
_KEY: Final = re.compile(r"^[\x21-\x7e]{1,255}$")


def check_key(raw: str) -> str:
    """The key as given, or ``InvalidInput`` unless it is 1 to 255 visible ASCII characters."""
    key = raw.strip()
    if not _KEY.match(key):
        raise InvalidInput(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID is best)",
            field=HEADER,
        )
    return key


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 (hex) of the method, the path with its query string, and the raw body."""
    digest = hashlib.sha256()
    digest.update(method.upper().encode("ascii", errors="replace") + b"\n")
    digest.update(path.encode("utf-8", errors="replace") + b"\n")
    digest.update(body)
    return digest.hexdigest()


@attrs.frozen
class StoredResponse:
    """A response kept for replay: its status, the headers worth replaying, and its body."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class IdempotencyClaim:
    """A key claimed for one request: the caller must ``finish`` or ``abandon`` it."""

    user_id: uuid.UUID
    key: str
    fingerprint: str


@attrs.frozen
class IdempotencyRecord:
    """What the store keeps for one (user, key).

    The request's fingerprint and, once it is done, its response; ``locked_until`` ends the
    claim of a request that never finished.
    """

    user_id: uuid.UUID
    key: str
    fingerprint: str
    created_at: datetime
    expires_at: datetime
    locked_until: datetime
    response: StoredResponse | None = None

    def replaceable(self, now: datetime) -> bool:
        """Whether a new request may claim the key: expired, or claimed and abandoned by a crash."""
        return now >= self.expires_at or (self.response is None and now >= self.locked_until)


class IdempotencyStore(Protocol):
    """Stores idempotency records, each operation atomic on its own (not in a unit of work).

    Records of a user go when the user is deleted.
    """

    def begin(self, record: IdempotencyRecord, now: datetime) -> IdempotencyRecord | None:
        """Store ``record`` unless its (user, key) has a record not ``replaceable`` at ``now``.

        ``None`` when ``record`` was stored (the key is claimed), else the record in the way.
        """
        ...

    def finish(self, claim: IdempotencyClaim, response: StoredResponse) -> bool:
        """Attach ``response`` to the claimed record; False when the claim was lost meanwhile."""
        ...

    def abandon(self, claim: IdempotencyClaim) -> None:
        """Delete the claimed record if it is still this claim's and has no response."""
        ...

    def purge(self, now: datetime) -> int:
        """Delete the records expired at ``now``; return how many went."""
        ...


class IdempotentRequests:
    """The ``Idempotency-Key`` rules over a store (see the module docstring)."""

    def __init__(
        self,
        store: IdempotencyStore,
        clock: Clock,
        *,
        ttl: timedelta = RECORD_TTL,
        lease: timedelta = IN_FLIGHT_LEASE,
    ) -> None:
        """Keep records for ``ttl``; let a new request take over a claim after ``lease``."""
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._lease = lease

    def begin(
        self, user_id: uuid.UUID, key: str, fingerprint: str
    ) -> IdempotencyClaim | StoredResponse:
        """Claim ``key`` for this request, or return the response to replay.

        Raises ``InvalidInput`` when the key is malformed or was used for another request, and
        ``Conflict`` while the first request with this key is still running.
        """
        key = check_key(key)
        now = self._clock.now()
        record = IdempotencyRecord(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            created_at=now,
            expires_at=now + self._ttl,
            locked_until=now + self._lease,
        )
        existing = self._store.begin(record, now)
        if existing is None:
            return IdempotencyClaim(user_id, key, fingerprint)
        if existing.fingerprint != fingerprint:
            raise InvalidInput(
                f"this {HEADER} was already used for a different request; use a new key",
                field=HEADER,
            )
        if existing.response is not None:
            return existing.response
        raise Conflict(f"a request with this {HEADER} is still being processed; retry in a moment")

    @staticmethod
    def keeps(status: int, body_size: int) -> bool:
        """Whether a response with ``status`` and a body of ``body_size`` bytes is stored."""
        return status < 500 and status not in _NOT_STORED and body_size <= MAX_STORED_BODY  # noqa: PLR2004

    def finish(self, claim: IdempotencyClaim, response: StoredResponse) -> None:
        """Store the claimed request's final response, or free the key if it is not kept."""
        if self.keeps(response.status, len(response.body)):
            self._store.finish(claim, response)
        else:
            self._store.abandon(claim)

    def abandon(self, claim: IdempotencyClaim) -> None:
        """Free the key: the request failed and a retry should run."""
        self._store.abandon(claim)

    def purge(self) -> int:
        """Delete the expired records."""
        return self._store.purge(self._clock.now())
