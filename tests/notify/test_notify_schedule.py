"""Quiet hours (time-zone aware, overnight, per weekday) and cooldown helpers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from videohar.notify.schedule import (
    QuietHours,
    cooldown_key,
    cooldown_remaining,
    in_quiet_hours,
    parse_quiet_hours,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NIGHT = QuietHours(time(22), time(6), "Asia/Tokyo")


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2026-03-13 21:59", False),
        ("2026-03-13 22:00", True),
        ("2026-03-13 23:59", True),
        ("2026-03-14 00:00", True),
        ("2026-03-14 05:59", True),
        ("2026-03-14 06:00", False),
        ("2026-03-14 12:00", False),
    ],
)
def test_overnight_window_across_midnight_in_tokyo(local, quiet):
    at = datetime.fromisoformat(local).replace(tzinfo=TOKYO)
    assert NIGHT.contains(at) is quiet
    # The same instant given in UTC (a different calendar day for most of them) gives the same answer.
    assert NIGHT.contains(at.astimezone(UTC)) is quiet


def test_utc_midday_is_tokyo_night():
    assert NIGHT.contains(datetime(2026, 3, 13, 14, 30, tzinfo=UTC))  # 23:30 JST
    assert not NIGHT.contains(datetime(2026, 3, 13, 3, 0, tzinfo=UTC))  # 12:00 JST


def test_weekday_names_the_start_day():
    friday_night = QuietHours(time(22), time(6), "Asia/Tokyo", weekdays=frozenset({4}))
    fri_2330 = datetime(2026, 3, 13, 23, 30, tzinfo=TOKYO)  # a Friday
    assert fri_2330.weekday() == 4
    assert friday_night.contains(fri_2330)
    assert friday_night.contains(fri_2330 + timedelta(hours=6))  # Saturday 05:30
    assert not friday_night.contains(fri_2330 - timedelta(days=1))  # Thursday 23:30
    assert not friday_night.contains(fri_2330 - timedelta(hours=18))  # Friday 05:30: Thursday's night


def test_same_day_and_whole_day_windows():
    lunch = QuietHours(time(12), time(13), "Europe/Berlin")
    assert lunch.contains(datetime(2026, 7, 1, 10, 30, tzinfo=UTC))  # 12:30 CEST
    assert not lunch.contains(datetime(2026, 7, 1, 11, 0, tzinfo=UTC))  # 13:00 CEST
    sunday = QuietHours(time(0), time(0), "Europe/Berlin", weekdays=frozenset({6}))
    assert sunday.contains(datetime(2026, 3, 15, 23, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    assert not sunday.contains(datetime(2026, 3, 16, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")))


def test_dst_change_uses_wall_clock():
    # Berlin springs forward on 2026-03-29 02:00 -> 03:00; a 01:00-03:30 window still holds 03:15 local.
    window = QuietHours(time(1), time(3, 30), "Europe/Berlin")
    assert window.contains(datetime(2026, 3, 29, 1, 15, tzinfo=UTC))  # 03:15 CEST
    assert not window.contains(datetime(2026, 3, 29, 1, 45, tzinfo=UTC))  # 03:45 CEST


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        NIGHT.contains(datetime(2026, 3, 13, 23, 0))


def test_parse_and_round_trip():
    window = parse_quiet_hours({"start": "22:00", "end": "06:00", "timezone": "Asia/Tokyo", "weekdays": ["fri", 5]})
    assert window == QuietHours(time(22), time(6), "Asia/Tokyo", frozenset({4, 5}))
    assert parse_quiet_hours(window.to_dict()) == window
    assert parse_quiet_hours({"start": "1:00", "end": "2:00"}, default_timezone="Asia/Tokyo").timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "spec",
    [
        {"end": "06:00"},
        {"start": "25:00", "end": "06:00"},
        {"start": "22:00", "end": "06:00", "timezone": "Nowhere/City"},
        {"start": "22:00", "end": "06:00", "timezone": "America"},  # a folder of the zone database
        {"start": "22:00", "end": "06:00", "timezone": "../etc/passwd"},
        {"start": "22:00", "end": "06:00", "weekdays": ["funday"]},
        {"start": "22:00", "end": "06:00", "weekdays": [7]},
        {"start": "22:00+09:00", "end": "06:00"},
    ],
)
def test_bad_specs(spec):
    with pytest.raises(ValueError):
        parse_quiet_hours(spec)


def test_in_quiet_hours_any_window():
    lunch = QuietHours(time(12), time(13), "Asia/Tokyo")
    at = datetime(2026, 3, 14, 12, 30, tzinfo=TOKYO)
    assert in_quiet_hours(at, [NIGHT, lunch])
    assert not in_quiet_hours(at, [NIGHT])
    assert not in_quiet_hours(at, [])


def test_cooldown_key_and_remaining():
    assert cooldown_key(3, 7, "fall") == "videohar:notify:cooldown:3:7:fall"
    assert cooldown_key(3, 7, "a:b c") != cooldown_key(3, "7:a", "b c")
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert cooldown_remaining(None, now, 60) == 0
    assert cooldown_remaining(now - timedelta(seconds=20), now, 60) == 40
    assert cooldown_remaining(now - timedelta(seconds=90), now, 60) == 0
    assert cooldown_remaining(now, now, 0) == 0
