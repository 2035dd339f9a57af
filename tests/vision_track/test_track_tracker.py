"""Tracker behaviour on synthetic people: ids, crossings, occlusions, confirmation, timing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from videohar.vision.tracking import Tracker, TrackerConfig
from videohar.vision.types import Person


def _times(rng: np.random.Generator, n: int, lo: float = 0.05, hi: float = 0.15) -> np.ndarray:
    """Irregular frame times: frame intervals between `lo` and `hi` seconds."""
    return np.cumsum(rng.uniform(lo, hi, size=n))


def _ids_by_truth(tracker: Tracker, frames) -> dict[int, list[int]]:
    """Feed frames of (t, [(truth_key, Person)]) and collect the ids returned for each truth key."""
    seen: dict[int, list[int]] = {}
    for t, people in frames:
        out = tracker.update([p for _, p in people], t)
        for tp in out:
            key = next(k for k, p in people if p is tp.person)
            seen.setdefault(key, []).append(tp.track_id)
    return seen


def test_two_walkers_crossing_keep_their_ids_with_noise_and_irregular_time(make_person):
    rng = np.random.default_rng(1)
    frames = []
    for t in _times(rng, 70):
        a = make_person(100 + 80 * t, 200, rng=rng, jitter=0.03)
        b = make_person(560 - 80 * t, 215, rng=rng, jitter=0.03)
        frames.append((t, [(0, a), (1, b)]))
    seen = _ids_by_truth(Tracker(), frames)
    assert set(seen) == {0, 1}
    assert len(set(seen[0])) == 1 and len(set(seen[1])) == 1, seen
    assert seen[0][0] != seen[1][0]
    assert len(seen[0]) >= 65 and len(seen[1]) >= 65  # confirmed after 3 hits, never lost


def _crossing_mislabels(make_person, seed: int, far_h: float, far_y: float, after: float = 0.0) -> int:
    """Frames where the tracker's ids disagree with the truth, two people walking at each other."""
    rng = np.random.default_rng(seed)
    tracker = Tracker()
    wrong = 0
    for t in _times(rng, 60, 0.09, 0.11):
        a = make_person(150 + 60 * t, 300, rng=rng, jitter=0.02)
        b = make_person(450 - 60 * t, far_y, h=far_h, rng=rng, jitter=0.02)
        out = tracker.update([a, b], t)
        if t > after:
            wrong += sum((tp.track_id == 1) != (tp.person is a) for tp in out)
    return wrong


def test_crossing_on_the_same_row_with_overlapping_boxes_keeps_ids(make_person):
    """A nearer and a farther person (100 px vs 80 px) pass through each other's boxes."""
    assert [_crossing_mislabels(make_person, seed, far_h=80, far_y=290) for seed in range(5)] == [0] * 5


def test_identical_people_passing_through_each_other_get_their_ids_back(make_person):
    """Boxes coincide exactly at the crossing (ambiguous for a frame); motion restores the ids after."""
    after = [_crossing_mislabels(make_person, s, far_h=100, far_y=300, after=3.0) for s in range(6)]
    assert after == [0] * 6


def test_ids_are_assigned_in_confirmation_order_and_increase(make_person):
    tracker = Tracker()
    ids = []
    for k in range(6):
        people = [make_person(100 + 200 * j, 300) for j in range(min(k + 1, 3))]
        ids += [tp.track_id for tp in tracker.update(people, k * 0.1)]
    assert sorted(set(ids)) == [1, 2, 3]
    # Starting again after reset keeps counting: an old id never names a new person.
    tracker.reset()
    out = []
    for k in range(3):
        out = tracker.update([make_person(100, 300)], 10 + k * 0.1)
    assert [tp.track_id for tp in out] == [4]


def test_confirmation_after_min_hits_and_tentative_tracks_are_not_returned(make_person):
    tracker = Tracker(TrackerConfig(min_hits=3))
    p = [make_person(100 + 5 * k, 300) for k in range(4)]
    assert tracker.update([p[0]], 0.0) == []
    assert tracker.update([p[1]], 0.1) == []
    assert len(tracker.tracks) == 1 and not tracker.tracks[0].confirmed
    out = tracker.update([p[2]], 0.2)
    assert [tp.track_id for tp in out] == [1]
    assert out[0].person is p[2]  # the detection, not the Kalman box
    assert out[0].confirmed


def test_min_hits_one_returns_immediately(make_person):
    tracker = Tracker(TrackerConfig(min_hits=1))
    assert [tp.track_id for tp in tracker.update([make_person(100, 100)], 0.0)] == [1]


def test_single_frame_false_positive_never_becomes_a_track(make_person):
    tracker = Tracker()
    for k in range(10):
        people = [make_person(100 + 5 * k, 300)]
        if k == 4:
            people.append(make_person(600, 100))  # flicker
        out = tracker.update(people, k * 0.1)
    assert [tp.track_id for tp in out] == [1]
    assert len(tracker.tracks) == 1


def _walk_with_gap(make_person, gap_start: float, gap_len: float, fps: float = 10.0, total: float = 5.0):
    frames = []
    for k in range(int(total * fps)):
        t = k / fps
        visible = not (gap_start <= t < gap_start + gap_len)
        frames.append((t, [(0, make_person(100 + 50 * t, 300))] if visible else []))
    return frames


def test_occlusion_of_half_a_second_keeps_the_id(make_person):
    seen = _ids_by_truth(Tracker(), _walk_with_gap(make_person, 2.0, 0.5))
    assert set(seen[0]) == {1}


def test_occlusion_of_two_seconds_drops_the_track_and_a_new_id_follows(make_person):
    tracker = Tracker(TrackerConfig(max_age=1.0))
    frames = _walk_with_gap(make_person, 1.5, 2.0)
    dropped = []
    seen: list[int] = []
    for t, people in frames:
        seen += [tp.track_id for tp in tracker.update([p for _, p in people], t)]
        dropped += tracker.dropped
    assert seen[0] == 1 and seen[-1] == 2
    assert dropped == [1]


def test_max_age_is_in_seconds_not_frames(make_person):
    """At 2 fps, one missed frame is 0.5 s (kept); at 30 fps, 40 missed frames are 1.3 s (dropped)."""
    tracker = Tracker()
    for k in range(3):
        tracker.update([make_person(100, 300)], k * 0.5)
    tracker.update([], 1.5)
    assert [tp.track_id for tp in tracker.update([make_person(100, 300)], 2.0)] == [1]

    tracker = Tracker()
    for k in range(3):
        tracker.update([make_person(100, 300)], k / 30)
    for k in range(3, 43):
        tracker.update([], k / 30)
    assert tracker.get(1) is None and tracker.tracks == []


def test_per_track_state_is_exposed(make_person):
    tracker = Tracker()
    for k in range(5):
        tracker.update([make_person(100 + 10 * k, 300)], k * 0.1)
    tracker.update([], 0.6)
    track = tracker.get(1)
    assert track is not None and track.confirmed
    assert track.hits == 5 and track.frames == 6
    assert track.time_since_update == pytest.approx(0.2)
    assert track.age == pytest.approx(0.6)
    assert track.kalman.velocity[0] == pytest.approx(100, rel=0.3)  # 10 px per 0.1 s


def test_low_score_detection_extends_a_track_but_never_starts_one(make_person):
    tracker = Tracker()
    for k in range(4):
        tracker.update([make_person(100 + 5 * k, 300, score=0.8)], k * 0.1)
    weak = make_person(120, 300, score=0.15)
    out = tracker.update([weak], 0.4)
    assert [tp.track_id for tp in out] == [1] and out[0].person is weak

    fresh = Tracker()
    for k in range(5):
        assert fresh.update([make_person(100, 300, score=0.15)], k * 0.1) == []
    assert fresh.tracks == []


def _id_changes_with_noisy_boxes(make_person, config: TrackerConfig, seed: int) -> int:
    """Two people standing close (boxes overlap); boxes jitter by 0.1 h, keypoints are precise."""
    rng = np.random.default_rng(seed)
    tracker = Tracker(config)
    seen: dict[int, list[int]] = {0: [], 1: []}
    for k in range(100):
        people = []
        for x in (300, 325):
            p = make_person(x, 300)
            people.append(Person(box=p.box + rng.normal(0, 10, 4), score=0.6, keypoints=p.keypoints))
        for tp in tracker.update(people, k * 0.1):
            seen[0 if tp.person is people[0] else 1].append(tp.track_id)
    return sum(sum(a != b for a, b in itertools.pairwise(ids)) for ids in seen.values())


def test_keypoint_similarity_keeps_ids_where_box_overlap_alone_swaps_them(make_person):
    with_oks = [_id_changes_with_noisy_boxes(make_person, TrackerConfig(), seed) for seed in range(6)]
    iou_only = [_id_changes_with_noisy_boxes(make_person, TrackerConfig(oks_weight=0), seed) for seed in range(6)]
    assert sum(with_oks) <= 1, with_oks
    assert sum(iou_only) > sum(with_oks) + 3, iou_only  # the scene is hard enough to need OKS


def test_backwards_and_repeated_timestamps_do_not_break_tracking(make_person):
    tracker = Tracker()
    times = [0.0, 0.1, 0.1, 0.05, 0.2, 0.3, 0.3, 0.4]
    out = []
    for k, t in enumerate(times):
        out = tracker.update([make_person(100 + 3 * k, 300)], t)
    assert [tp.track_id for tp in out] == [1]


def test_empty_frames_and_reset(make_person):
    tracker = Tracker()
    assert tracker.update([], 0.0) == []
    for k in range(3):
        tracker.update([make_person(100, 300)], k * 0.1)
    tracker.reset()
    assert tracker.tracks == [] and tracker.dropped == [1]
    assert tracker.update([], 5.0) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"min_hits": 0}, {"max_age": -1}, {"oks_weight": 2}, {"low_score": 0.9, "high_score": 0.5}],
)
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        TrackerConfig(**kwargs)


def test_kalman_prediction_depends_on_elapsed_time_not_on_steps():
    from videohar.vision.kalman import BoxKalman

    one, two = BoxKalman(np.array([0, 0, 40, 100])), BoxKalman(np.array([0, 0, 40, 100]))
    for k in range(1, 6):
        box = np.array([10 * k, 0, 40 + 10 * k, 100])
        for f in (one, two):
            f.predict(0.1)
            f.update(box)
    one.predict(0.4)
    for _ in range(4):
        two.predict(0.1)
    assert one.mean == pytest.approx(two.mean)
    assert one.box[0] == pytest.approx(50 + 40, abs=8)  # 100 px/s for 0.4 s
    assert np.trace(one.cov) > 0 and np.allclose(one.cov, one.cov.T)


def test_detections_with_non_finite_boxes_are_ignored(make_person):
    tracker = Tracker()
    out = []
    for k in range(4):
        bad = make_person(300, 300)
        bad.box[2] = np.nan
        out = tracker.update([make_person(100 + 5 * k, 300), bad], k * 0.1)
    assert [tp.track_id for tp in out] == [1]
    assert all(np.isfinite(tr.kalman.mean).all() for tr in tracker.tracks)
