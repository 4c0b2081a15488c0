"""A person's ranked recommendations, kept for a short while so that the next page is cheap.

Ranking a person's recommendations retrieves a pool of 300 postings and scores every one of them
(about 50-100 ms of Python); a page shows 20. ``RankedPools`` keeps, per person, filters and
minimum score, the order the ranking gave (each posting's id, and the posting it repeats when
``scoring.rank`` moved it down as a near-duplicate), so that the next request of the same person
for the same thing re-scores only the page it shows (``Recommend``).

What is kept is only ever used for the very ``Seeker`` it was ranked for: the profile, the
preferences and the feedback are compared in full, so an edited profile, a changed preference,
a save or a dismissal ranks afresh at once. What the kept order cannot see is bounded by its
lifetime (``DEFAULT_TTL``): postings ingested, embedded or analysed since are ranked in when it
expires. Moderation, deletions and the hard constraints are checked on every request anyway
(``Recommend``), so a hidden, deleted or now-excluded posting is never shown from it.

The memo is per process, bounded (``DEFAULT_SIZE`` entries, least recently used dropped first;
expired ones dropped whenever one is added) and thread-safe; it holds ids, not postings.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from datetime import datetime

    from jobraker_core.clock import Clock
    from jobraker_core.jobs.model import JobQuery
    from jobraker_core.matching.explain import Match
    from jobraker_core.matching.scoring import Seeker

DEFAULT_TTL: Final = timedelta(seconds=60)
"""How long a ranking is reused: new postings reach a person's recommendations within this."""

DEFAULT_SIZE: Final = 1024
"""How many rankings a process keeps (each is at most 300 ids and a reference to its seeker)."""


@attrs.frozen
class RankedEntry:
    """One posting of a kept ranking."""

    job_id: uuid.UUID
    duplicate_of: uuid.UUID | None = None
    """The posting it repeats, when the ranking moved it down as a near-duplicate."""


@attrs.frozen
class _Kept:
    seeker: Seeker
    entries: tuple[RankedEntry, ...]
    expires: datetime


class RankedPools:
    """Per-process memo of rankings by person, filters and minimum score (see the module doc)."""

    def __init__(
        self, clock: Clock, *, ttl: timedelta = DEFAULT_TTL, size: int = DEFAULT_SIZE
    ) -> None:
        """Keep up to ``size`` rankings for ``ttl`` each by ``clock``; a zero ``ttl`` keeps none."""
        self._clock = clock
        self._ttl = ttl
        self._size = size
        self._kept: OrderedDict[tuple[uuid.UUID, JobQuery, float], _Kept] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether rankings are kept at all."""
        return self._ttl > timedelta(0) and self._size > 0

    def get(
        self, user_id: uuid.UUID, seeker: Seeker, filters: JobQuery, min_score: float
    ) -> tuple[RankedEntry, ...] | None:
        """The kept ranking for exactly this seeker and query, or None (also once expired)."""
        if not self.enabled:
            return None
        key = (user_id, filters, min_score)
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            if kept.expires <= self._clock.now() or kept.seeker != seeker:
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return kept.entries

    def put(
        self,
        user_id: uuid.UUID,
        seeker: Seeker,
        filters: JobQuery,
        min_score: float,
        ranked: Sequence[Match],
    ) -> None:
        """Keep the order of ``ranked`` (the ranking's output) for this seeker and query."""
        if not self.enabled:
            return
        entries = tuple(RankedEntry(m.job.id, m.duplicate_of) for m in ranked)
        now = self._clock.now()
        key = (user_id, filters, min_score)
        with self._lock:
            # Expired rankings go now, not when evicted: a profile (or an erased person's)
            # is not held longer than the lifetime.
            for old in [k for k, kept in self._kept.items() if kept.expires <= now]:
                del self._kept[old]
            self._kept[key] = _Kept(seeker, entries, now + self._ttl)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        """How many rankings are kept now (for tests and metrics)."""
        with self._lock:
            return len(self._kept)
