"""In-memory ``IdempotencyStore``: the reference semantics of migration 0030."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import attrs

from jobraker_core.idempotency import IdempotencyClaim, IdempotencyRecord, StoredResponse


@attrs.define
class InMemoryIdempotencyStore:
    """Records by (user, key) behind one lock, so every operation is atomic."""

    records: dict[tuple[uuid.UUID, str], IdempotencyRecord] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)

    def begin(self, record: IdempotencyRecord, now: datetime) -> IdempotencyRecord | None:
        """Store ``record`` unless a record of its (user, key) is in the way (returned)."""
        slot = (record.user_id, record.key)
        with self.lock:
            existing = self.records.get(slot)
            if existing is not None and not existing.replaceable(now):
                return existing
            self.records[slot] = record
            return None

    def _claimed(self, claim: IdempotencyClaim) -> IdempotencyRecord | None:
        record = self.records.get((claim.user_id, claim.key))
        if record is None or record.fingerprint != claim.fingerprint or record.response:
            return None
        return record

    def finish(self, claim: IdempotencyClaim, response: StoredResponse) -> bool:
        """Attach ``response`` to the claimed record, if it is still the claim's."""
        with self.lock:
            record = self._claimed(claim)
            if record is None:
                return False
            self.records[claim.user_id, claim.key] = attrs.evolve(record, response=response)
            return True

    def abandon(self, claim: IdempotencyClaim) -> None:
        """Delete the claimed record if it is still the claim's and unanswered."""
        with self.lock:
            if self._claimed(claim) is not None:
                del self.records[claim.user_id, claim.key]

    def purge(self, now: datetime) -> int:
        """Delete the expired records."""
        with self.lock:
            doomed = [slot for slot, record in self.records.items() if now >= record.expires_at]
            for slot in doomed:
                del self.records[slot]
            return len(doomed)

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete every record of ``user_id`` (what the foreign key's cascade does in SQL)."""
        with self.lock:
            doomed = [slot for slot in self.records if slot[0] == user_id]
            for slot in doomed:
                del self.records[slot]
            return len(doomed)
