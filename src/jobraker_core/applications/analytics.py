"""The person's application funnel: applied → responded → interview → offer, and its rates.

An application counts at each stage it ever *reached* (from its events, so one that was
interviewed and then rejected still counts as interviewed): ``applied`` once it was submitted
(verified or not, or recorded by hand), ``responded`` once the employer answered (an interview,
an offer or a rejection after applying), ``interview`` and ``offer`` likewise. Dry runs are
left out (nothing was sent). Breakdowns by source, employer, match-score band and résumé version,
and a weekly series by the date applied, are ready to chart as JSON.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.applications.model import APPLIED, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from jobraker_core.applications.model import Application, ApplicationEvent
    from jobraker_core.ports import UnitOfWorkFactory

_INTERVIEW: Final = frozenset({Status.INTERVIEWING, Status.OFFER, Status.ACCEPTED})
_OFFER: Final = frozenset({Status.OFFER, Status.ACCEPTED})
SCORE_BANDS: Final = ((85.0, "85-100"), (70.0, "70-85"), (50.0, "50-70"), (0.0, "0-50"))


@attrs.frozen
class Funnel:
    """How many applications reached each stage, and the rates between stages (0-1)."""

    applied: int = 0
    responded: int = 0
    interview: int = 0
    offer: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    @property
    def response_rate(self) -> float:
        """Responded / applied."""
        return self._rate(self.responded, self.applied)

    @property
    def interview_rate(self) -> float:
        """Interview / applied."""
        return self._rate(self.interview, self.applied)

    @property
    def offer_rate(self) -> float:
        """Offer / applied."""
        return self._rate(self.offer, self.applied)


@attrs.frozen
class Reached:
    """The stages one application reached."""

    applied: bool
    responded: bool
    interview: bool
    offer: bool


def reached(app: Application, events: Iterable[ApplicationEvent]) -> Reached:
    """The stages ``app`` reached, from its events and its current status."""
    seen = {e.to_status for e in events} | {app.status}
    applied = bool(seen & APPLIED)
    interview = bool(seen & _INTERVIEW)
    return Reached(
        applied=applied,
        responded=interview or (applied and Status.REJECTED in seen),
        interview=interview,
        offer=bool(seen & _OFFER),
    )


def funnel(stages: Iterable[Reached]) -> Funnel:
    """Count the stages."""
    counts = [0, 0, 0, 0]
    for stage in stages:
        for i, hit in enumerate((stage.applied, stage.responded, stage.interview, stage.offer)):
            counts[i] += hit
    return Funnel(*counts)


def score_band(score: float | None) -> str:
    """The band a match score falls in ("unknown" without one)."""
    if score is None:
        return "unknown"
    return next(label for floor, label in SCORE_BANDS if score >= floor)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


@attrs.frozen
class Group:
    """The funnel of the applications sharing one ``key`` (a source, an employer, ...)."""

    key: str
    funnel: Funnel


@attrs.frozen
class Point:
    """One week of the series: the funnel of the applications applied that week."""

    week: date
    funnel: Funnel


@attrs.frozen
class ApplicationAnalytics:
    """The person's funnel overall, broken down, and over time."""

    total: int
    by_status: tuple[tuple[str, int], ...]
    funnel: Funnel
    by_source: tuple[Group, ...]
    by_employer: tuple[Group, ...]
    by_score_band: tuple[Group, ...]
    by_resume_version: tuple[Group, ...]
    weekly: tuple[Point, ...]


def _groups(
    items: Sequence[tuple[Application, Reached]], key: Callable[[Application], str]
) -> tuple[Group, ...]:
    buckets: dict[str, list[Reached]] = defaultdict(list)
    for app, stage in items:
        buckets[key(app)].append(stage)
    groups = [Group(k, funnel(v)) for k, v in buckets.items()]
    return tuple(sorted(groups, key=lambda g: (-g.funnel.applied, g.key)))


def _resume(app: Application) -> str:
    if app.packet is None or app.packet.resume_version is None:
        return "none"
    return f"v{app.packet.resume_version}"


def analyse(
    apps: Sequence[Application], events: Sequence[ApplicationEvent]
) -> ApplicationAnalytics:
    """The analytics of these applications (with their events)."""
    by_app: dict[uuid.UUID, list[ApplicationEvent]] = defaultdict(list)
    for event in events:
        by_app[event.application_id].append(event)
    counted = [a for a in apps if not a.dry_run]
    items = [(a, reached(a, by_app[a.id])) for a in counted]
    statuses: dict[str, int] = defaultdict(int)
    for app in apps:
        statuses[app.status.value] += 1
    weeks: dict[date, list[Reached]] = defaultdict(list)
    for app, stage in items:
        if stage.applied and app.applied_at is not None:
            weeks[week_of(app.applied_at.date())].append(stage)
    return ApplicationAnalytics(
        total=len(apps),
        by_status=tuple(sorted(statuses.items())),
        funnel=funnel(stage for _, stage in items),
        by_source=_groups(items, lambda a: a.job.source or "unknown"),
        by_employer=_groups(items, lambda a: a.job.company or "unknown"),
        by_score_band=_groups(items, lambda a: score_band(a.match_score)),
        by_resume_version=_groups(items, _resume),
        weekly=tuple(Point(week, funnel(stages)) for week, stages in sorted(weeks.items())),
    )


class GetApplicationAnalytics:
    """The person's application analytics."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> ApplicationAnalytics:
        """Compute them from the person's applications and events."""
        with self._uow() as uow:
            apps = uow.applications.every(user_id)
            events = uow.applications.events_of_user(user_id)
        return analyse(apps, events)
