"""Limits the person sets on automatic submissions, and the per-site circuit breaker.

``ApplicationSettings`` holds the person's choices: how many applications may go out per day
(a rolling 24 hours), the minimum time between two applications to one employer, quiet hours in
their time zone (nothing is submitted then), and auto-approval (off unless they switch it on;
then only for packets answered entirely from their facts, for jobs scoring at least their
threshold). ``hold_until`` says how long a claim must wait under those limits.

``SiteBreaker`` pauses submissions to one site (the host of the apply URL) for everyone after a
block signal (CAPTCHA, login wall, 429, a site error) or ``FAILURE_THRESHOLD`` failures in a row:
it opens for ``cool_down(opened)`` (doubling with each re-opening, capped) and a success closes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from jobraker_core.applications.submission import BlockSignal
from jobraker_core.errors import InvalidInput

MAX_PER_DAY: Final = 200
DEFAULT_PER_DAY: Final = 10
DEFAULT_SPACING_HOURS: Final = 24
DEFAULT_THRESHOLD: Final = 80.0
FAILURE_THRESHOLD: Final = 3
BASE_COOL_DOWN: Final = timedelta(minutes=30)
MAX_COOL_DOWN: Final = timedelta(hours=24)
DAY: Final = timedelta(days=1)


def _per_day(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= MAX_PER_DAY:
        raise InvalidInput(f"per_day must be between 0 and {MAX_PER_DAY}", field="per_day")


def _spacing(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 24 * 90:
        raise InvalidInput(
            "employer_spacing_hours must be between 0 and 2160", field="employer_spacing_hours"
        )


def _threshold(_: object, __: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value <= 100:  # noqa: PLR2004
        raise InvalidInput(
            "auto_approve_min_score must be between 0 and 100", field="auto_approve_min_score"
        )


def _zone(_: object, __: attrs.Attribute[str], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone {value!r}", field="timezone") from error


@attrs.frozen
class QuietHours:
    """A daily window, in the person's time zone, in which nothing is submitted.

    ``start`` after ``end`` wraps midnight (22:00-07:00).
    """

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether ``moment`` (a wall-clock time) falls in the window."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@attrs.frozen
class ApplicationSettings:
    """One person's limits and auto-approval choice."""

    user_id: uuid.UUID
    per_day: int = attrs.field(default=DEFAULT_PER_DAY, validator=_per_day)
    employer_spacing_hours: int = attrs.field(default=DEFAULT_SPACING_HOURS, validator=_spacing)
    quiet_hours: QuietHours | None = None
    timezone: str = attrs.field(default="UTC", validator=_zone)
    auto_approve: bool = False
    auto_approve_min_score: float = attrs.field(default=DEFAULT_THRESHOLD, validator=_threshold)
    updated_at: datetime | None = None

    @classmethod
    def default(cls, user_id: uuid.UUID) -> ApplicationSettings:
        """The settings of a person who has not chosen any."""
        return cls(user_id=user_id)

    def may_auto_approve(self, *, from_facts: bool, score: float | None) -> bool:
        """Whether a packet may be approved without the person: on, all facts, score high enough."""
        return (
            self.auto_approve
            and from_facts
            and score is not None
            and score >= self.auto_approve_min_score
        )

    def hold_until(
        self,
        now: datetime,
        *,
        claims_last_day: tuple[datetime, ...],
        last_to_employer: datetime | None,
    ) -> tuple[datetime, str] | None:
        """When a claim may happen at the earliest, and why, if not ``now``; None when it may.

        ``claims_last_day`` are the person's claims in the 24 hours before ``now``;
        ``last_to_employer`` is their latest claim of an application to the same employer.
        """
        holds: list[tuple[datetime, str]] = []
        if len(claims_last_day) >= self.per_day:
            if self.per_day == 0:
                holds.append((now + DAY, "automatic submissions are off (0 per day)"))
            else:
                oldest = sorted(claims_last_day)[len(claims_last_day) - self.per_day]
                holds.append((oldest + DAY, f"the limit of {self.per_day} a day is reached"))
        if last_to_employer is not None and self.employer_spacing_hours:
            earliest = last_to_employer + timedelta(hours=self.employer_spacing_hours)
            if earliest > now:
                holds.append((earliest, "too soon after the last application to this employer"))
        if self.quiet_hours is not None:
            local = now.astimezone(ZoneInfo(self.timezone))
            if self.quiet_hours.contains(local.time()):
                end = local.replace(
                    hour=self.quiet_hours.end.hour,
                    minute=self.quiet_hours.end.minute,
                    second=0,
                    microsecond=0,
                )
                if end <= local:
                    end += DAY
                holds.append((end.astimezone(now.tzinfo), "quiet hours"))
        if not holds:
            return None
        return max(holds, key=lambda hold: hold[0])


def site_of(url: str | None) -> str:
    """The site an apply URL belongs to: its lower-case host ("" when there is none)."""
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.lower().removeprefix("www.")


@attrs.frozen
class SiteBreaker:
    """The circuit breaker of one site: closed, or open (paused) until ``open_until``."""

    site: str
    failures: int = 0
    opened: int = 0
    open_until: datetime | None = None
    last_signal: str | None = None
    updated_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Whether submissions to the site are paused at ``now``."""
        return self.open_until is not None and now < self.open_until

    def failed(self, now: datetime, signal: BlockSignal | None) -> SiteBreaker:
        """After a failed run: open at once on a block signal, or after repeated failures."""
        failures = self.failures + 1
        if signal is None and failures < FAILURE_THRESHOLD:
            return attrs.evolve(self, failures=failures, updated_at=now)
        cool = min(BASE_COOL_DOWN * (2**self.opened), MAX_COOL_DOWN)
        return SiteBreaker(
            site=self.site,
            failures=failures,
            opened=self.opened + 1,
            open_until=now + cool,
            last_signal=signal.value if signal is not None else "repeated_failures",
            updated_at=now,
        )

    def succeeded(self, now: datetime) -> SiteBreaker:
        """After a successful run: closed, counters reset."""
        return SiteBreaker(site=self.site, updated_at=now)
