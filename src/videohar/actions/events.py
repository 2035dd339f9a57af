"""Per-camera event hysteresis: smoothed per-(track, label) scores open, update and close events.

    engine = EventEngine("cam-1")
    for change in engine.update(t, {track_id: {"fall": 1.0}}, positions={track_id: (x, y)}, areas=areas):
        ...  # EventOpened / EventUpdated / EventClosed

A score is smoothed by an EMA; an event opens when the smoothed score stays >= `on` for
`n_on` consecutive updates (and the label's camera cooldown has passed), gets an update when
its peak rises, and closes when the smoothed score stays < `off` for `m_off` updates or the
track disappears. Labels not in `alert_labels` are smoothed (for display) but never alert.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from videohar.actions.base import Area

DEFAULT_ALERT_LABELS = frozenset({"fall", "lying", "hands_up", "running", "loitering", "intrusion"})


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    """Hysteresis of one label."""

    on: float = 0.6
    off: float = 0.4
    n_on: int = 3
    m_off: int = 5
    alpha: float = 0.5
    """EMA weight of the newest score (1 = no smoothing)."""
    cooldown_seconds: float = 30.0
    """No new event of this label on the camera until this long after the last one opened."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.off <= self.on <= 1.0:
            raise ValueError(f"need 0 <= off <= on <= 1, got on={self.on} off={self.off}")
        if self.n_on < 1 or self.m_off < 1:
            raise ValueError("n_on and m_off must be >= 1")
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha}")
        if self.cooldown_seconds < 0:
            raise ValueError("cooldown_seconds must be >= 0")


DEFAULT_POLICIES: dict[str, LabelPolicy] = {
    # Rules and the NFD fusion already dwell before saying "fall": open on the first confirmation.
    "fall": LabelPolicy(on=0.5, off=0.3, n_on=1, m_off=8, alpha=1.0, cooldown_seconds=30.0),
    "loitering": LabelPolicy(on=0.5, off=0.3, n_on=1, m_off=5, alpha=1.0, cooldown_seconds=60.0),
    "intrusion": LabelPolicy(on=0.5, off=0.3, n_on=2, m_off=5, alpha=1.0, cooldown_seconds=30.0),
}


@dataclass(frozen=True, slots=True)
class EventOpened:
    event_id: int
    camera_id: str
    track_id: int
    label: str
    area: str | None
    start: float
    peak: float


@dataclass(frozen=True, slots=True)
class EventUpdated:
    event_id: int
    camera_id: str
    track_id: int
    label: str
    area: str | None
    start: float
    peak: float
    t: float


@dataclass(frozen=True, slots=True)
class EventClosed:
    event_id: int
    camera_id: str
    track_id: int
    label: str
    area: str | None
    start: float
    end: float
    peak: float
    reason: str
    """score (fell below off), track_lost or shutdown."""


EventChange = EventOpened | EventUpdated | EventClosed


@dataclass(slots=True)
class _Slot:
    """Hysteresis state of one (track, label)."""

    smoothed: float | None = None
    above: int = 0
    below: int = 0
    open_id: int | None = None
    area: str | None = None
    start: float = 0.0
    peak: float = 0.0


@dataclass
class EventEngine:
    """Hysteresis for one camera. Not thread-safe; one engine per camera worker."""

    camera_id: str
    policies: Mapping[str, LabelPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    default_policy: LabelPolicy = field(default_factory=LabelPolicy)
    alert_labels: frozenset[str] = DEFAULT_ALERT_LABELS
    _slots: dict[tuple[int, str], _Slot] = field(default_factory=dict, init=False)
    _last_open: dict[str, float] = field(default_factory=dict, init=False)
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def __post_init__(self) -> None:
        self.camera_id = str(self.camera_id)
        self.alert_labels = frozenset(self.alert_labels)

    def policy(self, label: str) -> LabelPolicy:
        return self.policies.get(label, self.default_policy)

    def smoothed(self, track_id: int) -> dict[str, float]:
        """Current smoothed scores of a track (for drawing)."""
        return {label: slot.smoothed or 0.0 for (tid, label), slot in self._slots.items() if tid == track_id}

    def open_events(self) -> list[tuple[int, str]]:
        return [key for key, slot in self._slots.items() if slot.open_id is not None]

    def update(
        self,
        t: float,
        scores: Mapping[int, Mapping[str, float]],
        *,
        positions: Mapping[int, tuple[float, float]] | None = None,
        areas: Sequence[Area] = (),
        live_tracks: Iterable[int] | None = None,
    ) -> list[EventChange]:
        """Feed one analysed frame; returns the event changes it caused, in order.

        `positions` are where tracks stand (foot points) to attribute events to `areas`; when
        some area reacts to a label, that label only counts inside such an area. Tracks not in
        `live_tracks` (default: the tracks in `scores`) close their events as lost.
        """
        changes: list[EventChange] = []
        live = set(scores if live_tracks is None else live_tracks)
        for track_id in {tid for tid, _ in self._slots} - live:
            changes.extend(self.track_lost(track_id, t))
        positions = positions or {}
        for track_id, labels in scores.items():
            for label, raw in labels.items():
                area = self._area_for(label, positions.get(track_id), areas)
                score = 0.0 if area is False else min(1.0, max(0.0, float(raw)))
                changes.extend(self._step(track_id, label, score, None if area is False else area, t))
        return changes

    @staticmethod
    def _area_for(label: str, position: tuple[float, float] | None, areas: Sequence[Area]) -> str | bool | None:
        """Name of the area the label counts in, None for camera-wide, False if it does not count here."""
        relevant = [area for area in areas if area.reacts_to(label)]
        if not relevant:
            return None
        if position is None:
            return False
        for area in relevant:
            if area.contains(position):
                return area.name
        return False

    def _step(self, track_id: int, label: str, score: float, area: str | None, t: float) -> list[EventChange]:
        policy = self.policy(label)
        slot = self._slots.setdefault((track_id, label), _Slot())
        slot.smoothed = score if slot.smoothed is None else slot.smoothed + policy.alpha * (score - slot.smoothed)
        value = slot.smoothed
        slot.above = slot.above + 1 if value >= policy.on else 0
        slot.below = slot.below + 1 if value < policy.off else 0
        if label not in self.alert_labels:
            return []
        if slot.open_id is None:
            last = self._last_open.get(label)
            cooled = last is None or t - last >= policy.cooldown_seconds
            if slot.above >= policy.n_on and cooled:
                slot.open_id = next(self._ids)  # type: ignore[call-overload]
                slot.area, slot.start, slot.peak = area, t, value
                self._last_open[label] = t
                return [EventOpened(slot.open_id, self.camera_id, track_id, label, area, t, value)]
            return []
        if slot.below >= policy.m_off:
            return [self._close(track_id, label, slot, t, "score")]
        if value > slot.peak:
            slot.peak = value
            return [EventUpdated(slot.open_id, self.camera_id, track_id, label, slot.area, slot.start, value, t)]
        return []

    def _close(self, track_id: int, label: str, slot: _Slot, t: float, reason: str) -> EventClosed:
        assert slot.open_id is not None
        closed = EventClosed(slot.open_id, self.camera_id, track_id, label, slot.area, slot.start, t, slot.peak, reason)
        slot.open_id = None
        slot.above = slot.below = 0
        return closed

    def track_lost(self, track_id: int, t: float) -> list[EventChange]:
        """Close the track's open events and forget its smoothing state."""
        changes: list[EventChange] = []
        for key in [key for key in self._slots if key[0] == track_id]:
            slot = self._slots.pop(key)
            if slot.open_id is not None:
                changes.append(self._close(track_id, key[1], slot, t, "track_lost"))
        return changes

    def close_all(self, t: float) -> list[EventChange]:
        """Close every open event (camera stopped or reassigned)."""
        changes: list[EventChange] = []
        for (track_id, label), slot in self._slots.items():
            if slot.open_id is not None:
                changes.append(self._close(track_id, label, slot, t, "shutdown"))
        self._slots.clear()
        return changes

    def with_policy(self, label: str, **changes: float) -> None:
        """Change one label's thresholds at run time (configuration reload)."""
        policies = dict(self.policies)
        policies[label] = replace(self.policy(label), **changes)
        self.policies = policies
