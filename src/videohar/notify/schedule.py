"""When a rule may notify: quiet hours in the rule's own time zone, and cooldown keys.

Quiet hours are wall-clock windows, so they follow daylight-saving changes. A window
whose end is not after its start runs overnight (22:00–06:00 ends the next morning);
``start == end`` means the whole day. `weekdays` (0 = Monday) names the days on which a
window *starts*: a Friday 22:00–06:00 window covers Saturday until 06:00.

>>> from datetime import datetime, time, UTC
>>> night = QuietHours(time(22), time(6), "Asia/Tokyo")
>>> night.contains(datetime(2026, 1, 1, 14, 30, tzinfo=UTC))  # 23:30 in Tokyo
True
>>> cooldown_key(3, 7, "fall")
'videohar:notify:cooldown:3:7:fall'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["QuietHours", "cooldown_key", "cooldown_remaining", "in_quiet_hours", "parse_quiet_hours"]

_ALL_DAYS = frozenset(range(7))
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a time-zone aware datetime is required")
    return at


@dataclass(frozen=True, slots=True)
class QuietHours:
    """One recurring window of local wall-clock time during which alerts are held back."""

    start: time
    end: time
    timezone: str = "UTC"
    weekdays: frozenset[int] = _ALL_DAYS

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder: IsADirectoryError
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        days = frozenset(self.weekdays)
        if not days <= _ALL_DAYS:
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        object.__setattr__(self, "weekdays", days)

    @property
    def overnight(self) -> bool:
        return self.end < self.start

    def contains(self, at: datetime) -> bool:
        """Whether the instant `at` (any zone) falls inside this window."""
        local = _aware(at).astimezone(ZoneInfo(self.timezone))
        clock = local.time().replace(tzinfo=None)
        today = local.weekday()
        yesterday = (today - 1) % 7
        if self.start == self.end:
            return today in self.weekdays
        if not self.overnight:
            return today in self.weekdays and self.start <= clock < self.end
        return (today in self.weekdays and clock >= self.start) or (yesterday in self.weekdays and clock < self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
            "weekdays": [_DAY_NAMES[d] for d in sorted(self.weekdays)],
        }


def _parse_day(value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value[:3].lower() in _DAY_NAMES:
        return _DAY_NAMES.index(value[:3].lower())
    raise ValueError(f"unknown weekday {value!r}")


def _clock(value: Any) -> time:
    text = str(value).strip()
    if len(text) == 4 and text[1] == ":":  # "6:00"
        text = "0" + text
    parsed = time.fromisoformat(text)
    if parsed.tzinfo:
        raise ValueError("quiet hours are wall-clock times; give the zone as 'timezone'")
    return parsed


def parse_quiet_hours(spec: Mapping[str, Any], *, default_timezone: str = "UTC") -> QuietHours:
    """From stored JSON: ``{"start": "22:00", "end": "06:00", "timezone": "...", "weekdays": ["fri"]}``."""
    try:
        start, end = _clock(spec["start"]), _clock(spec["end"])
    except KeyError as exc:
        raise ValueError(f"quiet hours need {exc.args[0]!r}") from None
    days = spec.get("weekdays")
    return QuietHours(
        start=start,
        end=end,
        timezone=str(spec.get("timezone") or default_timezone),
        weekdays=_ALL_DAYS if days is None else frozenset(_parse_day(d) for d in days),
    )


def in_quiet_hours(at: datetime, windows: Iterable[QuietHours]) -> bool:
    """True when any window holds `at`."""
    return any(window.contains(at) for window in windows)


def cooldown_key(rule_id: int | str, camera_id: int | str, label: str) -> str:
    """Redis key for one rule's cooldown on one camera and label (label percent-encoded: no ':' clashes)."""
    return f"videohar:notify:cooldown:{rule_id}:{camera_id}:{quote(label, safe='')}"


def cooldown_remaining(last_sent: datetime | None, now: datetime, cooldown_s: float) -> float:
    """Seconds until the next alert may go out (0 when it may go now)."""
    if last_sent is None or cooldown_s <= 0:
        return 0.0
    left = (_aware(last_sent) + timedelta(seconds=cooldown_s)) - _aware(now)
    return max(left.total_seconds(), 0.0)
