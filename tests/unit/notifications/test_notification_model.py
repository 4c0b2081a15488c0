"""Preferences, quiet hours, digest times and unsubscribe tokens, as pure values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.notify.tokens import HmacUnsubscribeTokens
from jobraker_core.errors import InvalidInput
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    NotificationPreferences,
    QuietHours,
    UnsubscribeRequest,
    parse_clock_time,
)

USER = uuid.UUID(int=7)


def test_defaults_send_everything_everywhere_but_site_pauses_by_email():
    """A person who never chose hears of every kind in-app and live, and by e-mail but pauses."""
    prefs = NotificationPreferences.default(USER)
    for kind in NotificationKind:
        assert prefs.wants(kind, Channel.IN_APP)
        assert prefs.wants(kind, Channel.WEBSOCKET)
    assert prefs.wants(NotificationKind.NEW_MATCH, Channel.EMAIL)
    assert not prefs.wants(NotificationKind.SITE_PAUSED, Channel.EMAIL)
    assert prefs.channels_for(NotificationKind.NEEDS_USER)[0] is Channel.IN_APP


def test_without_turns_one_channel_off_for_one_kind():
    """An unsubscribe touches one (kind, channel) pair only."""
    prefs = NotificationPreferences.default(USER).without(NotificationKind.NEW_MATCH, Channel.EMAIL)
    assert not prefs.wants(NotificationKind.NEW_MATCH, Channel.EMAIL)
    assert prefs.wants(NotificationKind.NEW_MATCH, Channel.WEBSOCKET)
    assert prefs.wants(NotificationKind.NEEDS_USER, Channel.EMAIL)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("timezone", {"timezone": "Mars/Olympus"}),
        ("digest_hour", {"digest_hour": 24}),
        ("match_threshold", {"match_threshold": 101.0}),
    ],
)
def test_bad_preferences_are_refused_naming_the_field(field, kwargs):
    """An unknown zone, an hour past 23 or a threshold past 100 is InvalidInput on that field."""
    with pytest.raises(InvalidInput) as caught:
        NotificationPreferences(USER, **kwargs)
    assert caught.value.field == field


def test_quiet_hours_across_midnight_hold_until_the_local_morning():
    """22:00-07:00 in Berlin: 23:30 local is quiet until 07:00 local the next day."""
    prefs = NotificationPreferences(
        USER, timezone="Europe/Berlin", quiet_hours=QuietHours(time(22), time(7))
    )
    late = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Berlin (UTC+1)
    assert prefs.quiet_until(late) == datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    assert prefs.quiet_until(datetime(2026, 1, 15, 12, 0, tzinfo=UTC)) is None
    early = datetime(2026, 1, 16, 5, 59, tzinfo=UTC)  # 06:59 in Berlin
    assert prefs.quiet_until(early) == datetime(2026, 1, 16, 6, 0, tzinfo=UTC)


@given(st.times(), st.times(), st.times())
def test_quiet_hours_contain_exactly_the_span(start, end, probe):
    """A moment is quiet iff it lies in [start, end) going forward round the clock."""
    start, end, probe = (t.replace(second=0, microsecond=0) for t in (start, end, probe))
    if start == end:
        return
    span = QuietHours(start, end)
    minutes = [t.hour * 60 + t.minute for t in (start, end, probe)]
    length = (minutes[1] - minutes[0]) % 1440
    assert span.contains(probe) == ((minutes[2] - minutes[0]) % 1440 < length)


def test_quiet_hours_need_two_different_times():
    """Start equal to end is refused; clock times are read as HH:MM."""
    with pytest.raises(InvalidInput):
        QuietHours(time(8), time(8))
    assert parse_clock_time("07:30", "end") == time(7, 30)
    with pytest.raises(InvalidInput):
        parse_clock_time("7 pm", "end")


def test_the_last_digest_time_is_today_after_the_hour_else_yesterday():
    """Digest hour 8 in New York: at 13:00 UTC (08:00 EST) it is today, at 12:59 yesterday."""
    prefs = NotificationPreferences(USER, timezone="America/New_York", digest_hour=8)
    today = datetime(2026, 1, 15, 13, 0, tzinfo=UTC)
    assert prefs.last_digest_time(today) == today
    before = datetime(2026, 1, 15, 12, 59, tzinfo=UTC)
    assert prefs.last_digest_time(before) == datetime(2026, 1, 14, 13, 0, tzinfo=UTC)


@given(st.sampled_from(list(NotificationKind)), st.sampled_from(list(Channel)), st.uuids())
def test_unsubscribe_tokens_round_trip(kind, channel, user_id):
    """A token reads back as the request it was issued for."""
    tokens = HmacUnsubscribeTokens(b"s" * 32)
    request = UnsubscribeRequest(user_id, kind, channel)
    assert tokens.read(tokens.issue(request)) == request


def test_altered_or_foreign_tokens_are_refused():
    """Another key's token, a changed kind or garbage is InvalidInput."""
    tokens = HmacUnsubscribeTokens(b"s" * 32)
    token = tokens.issue(UnsubscribeRequest(USER, NotificationKind.NEW_MATCH, Channel.EMAIL))
    forged = token.replace("new_match", "needs_user")
    for bad in (
        forged,
        HmacUnsubscribeTokens(b"t" * 32).issue(
            UnsubscribeRequest(USER, NotificationKind.NEW_MATCH, Channel.EMAIL)
        ),
        "",
        "v1.x.y.z.sig",
        "a" * 400,
    ):
        with pytest.raises(InvalidInput):
            tokens.read(bad)
