import pytest

from videohar.actions.base import Area
from videohar.actions.events import EventClosed, EventEngine, EventOpened, EventUpdated, LabelPolicy

POLICY = LabelPolicy(on=0.6, off=0.4, n_on=3, m_off=2, alpha=1.0, cooldown_seconds=10.0)


def _engine(**options) -> EventEngine:
    return EventEngine("cam-1", policies={"hands_up": POLICY}, **options)


def _feed(engine: EventEngine, values, track: int = 1, start: float = 0.0, label: str = "hands_up"):
    changes = []
    for index, value in enumerate(values):
        changes += engine.update(start + index * 0.1, {track: {label: value}}, live_tracks={1, 2, 3})
    return changes


def test_flicker_does_not_open() -> None:
    assert _feed(_engine(), [0.9, 0.9, 0.1, 0.9, 0.9, 0.0, 0.9, 0.9]) == []


def test_opens_after_n_updates_updates_peak_and_closes_after_m() -> None:
    changes = _feed(_engine(), [0.9, 0.9, 0.9, 0.95, 0.9, 0.3, 0.5, 0.3, 0.3])
    kinds = [type(c) for c in changes]
    assert kinds == [EventOpened, EventUpdated, EventClosed]
    opened, updated, closed = changes
    assert opened.start == pytest.approx(0.2) and opened.camera_id == "cam-1" and opened.track_id == 1
    assert updated.peak == pytest.approx(0.95)
    assert closed.end == pytest.approx(0.8) and closed.reason == "score" and closed.peak == pytest.approx(0.95)
    assert closed.event_id == opened.event_id and closed.area is None


def test_ema_smooths_a_single_spike() -> None:
    engine = EventEngine("c", policies={"hands_up": LabelPolicy(on=0.6, off=0.4, n_on=1, m_off=1, alpha=0.3)})
    assert _feed(engine, [0.0, 1.0, 0.0, 0.0]) == []
    assert [type(c) for c in _feed(engine, [1.0] * 4, start=1.0)] == [EventOpened, EventUpdated]


def test_cooldown_per_label_per_camera() -> None:
    engine = _engine()
    first = _feed(engine, [0.9] * 3 + [0.0] * 2)
    assert [type(c) for c in first] == [EventOpened, EventClosed]
    # Another track, same label, within the cooldown: suppressed; after it: opens.
    assert _feed(engine, [0.9] * 5, track=2, start=1.0) == []
    assert _feed(engine, [0.0] * 2, track=2, start=1.5) == []
    late = _feed(engine, [0.9] * 3, track=2, start=11.0)
    assert [type(c) for c in late] == [EventOpened] and late[0].track_id == 2
    # Other labels have their own cooldown.
    assert [type(c) for c in _feed(engine, [1.0] * 3, track=3, start=11.0, label="running")] == [EventOpened]


def test_track_lost_closes_and_non_alert_labels_never_open() -> None:
    engine = _engine(alert_labels=frozenset({"hands_up"}))
    opened = _feed(engine, [0.9] * 3)
    assert [type(c) for c in opened] == [EventOpened]
    assert _feed(engine, [1.0] * 5, track=2, label="walk") == []
    lost = engine.update(5.0, {2: {"walk": 1.0}})  # track 1 no longer reported
    assert [(type(c), c.track_id, c.reason) for c in lost] == [(EventClosed, 1, "track_lost")]
    assert engine.smoothed(2)["walk"] == pytest.approx(1.0)
    assert engine.open_events() == []


def test_area_attribution_and_restriction() -> None:
    zone = Area("platform", ((0, 0), (100, 0), (100, 100), (0, 100)), actions=frozenset({"hands_up"}))
    engine = _engine()
    outside = [engine.update(i * 0.1, {1: {"hands_up": 1.0}}, positions={1: (200, 50)}, areas=[zone]) for i in range(5)]
    assert all(change == [] for change in outside)
    inside = []
    for i in range(5, 10):
        inside += engine.update(i * 0.1, {1: {"hands_up": 1.0}}, positions={1: (50, 50)}, areas=[zone])
    assert isinstance(inside[0], EventOpened) and inside[0].area == "platform"
    # A label no area reacts to stays camera-wide.
    other = []
    for i in range(3):
        other += engine.update(i * 0.1 + 2, {1: {"running": 1.0}}, positions={1: (500, 500)}, areas=[zone])
    assert isinstance(other[0], EventOpened) and other[0].area is None


def test_close_all_and_bad_policies() -> None:
    engine = _engine()
    _feed(engine, [0.9] * 3)
    closed = engine.close_all(9.0)
    assert len(closed) == 1 and closed[0].reason == "shutdown" and closed[0].end == 9.0
    with pytest.raises(ValueError, match="off <= on"):
        LabelPolicy(on=0.3, off=0.5)
    with pytest.raises(ValueError, match="alpha"):
        LabelPolicy(alpha=0.0)
    with pytest.raises(ValueError, match="n_on"):
        LabelPolicy(n_on=0)
