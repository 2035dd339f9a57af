"""Tracking the default pose backend's detections on the demo clip (people walking on a campus path)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from videohar.vision.drawing import DrawArea, Header, annotate
from videohar.vision.geometry import area_to_pixels, people_in_areas
from videohar.vision.pose.base import create_pose_backend
from videohar.vision.tracking import Tracker
from videohar.vision.types import Person

FRAMES = 200


@pytest.fixture(scope="module")
def clip_detections(demo_clip: Path) -> list[tuple[float, np.ndarray | None, list[Person]]]:
    """(time, frame for a few, people) for the first FRAMES frames; pose runs once per module."""
    estimator = create_pose_backend("default")
    capture = cv2.VideoCapture(str(demo_clip))
    out = []
    try:
        for index in range(FRAMES):
            ok, frame = capture.read()
            assert ok, f"clip ended at frame {index}"
            t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            out.append((t, frame if index % 50 == 0 else None, estimator.estimate(frame)))
    finally:
        capture.release()
    return out


def test_ids_on_the_real_clip_are_few_and_long_lived(clip_detections):
    tracker = Tracker()
    lifetimes: dict[int, list[float]] = {}
    most_at_once = 0
    for t, _, people in clip_detections:
        tracked = tracker.update(people, t)
        most_at_once = max(most_at_once, sum(p.score >= tracker.config.new_track_score for p in people))
        ids = [tp.track_id for tp in tracked]
        assert len(ids) == len(set(ids))
        assert all(any(tp.person is p for p in people) for tp in tracked)
        for track_id in ids:
            lifetimes.setdefault(track_id, []).append(t)
    durations = np.array([times[-1] - times[0] for times in lifetimes.values()])
    assert most_at_once >= 3, "the clip shows several people at once"
    assert 3 <= len(lifetimes) <= 3 * most_at_once, (len(lifetimes), most_at_once)
    assert np.mean(durations > 1.0) >= 0.6, durations
    assert sorted(lifetimes) == list(range(1, len(lifetimes) + 1))  # ids count confirmed people


def test_tracking_at_a_lower_irregular_rate_still_holds_ids(clip_detections):
    """Drop frames irregularly (a slow worker): the time-driven filter keeps most tracks."""
    rng = np.random.default_rng(0)
    keep = np.cumsum(rng.integers(1, 4, size=FRAMES))  # every 1st to 3rd frame
    tracker = Tracker()
    lifetimes: dict[int, list[float]] = {}
    for index in keep[keep < FRAMES]:
        t, _, people = clip_detections[index]
        for tp in tracker.update(people, t):
            lifetimes.setdefault(tp.track_id, []).append(t)
    durations = np.array([times[-1] - times[0] for times in lifetimes.values()])
    assert 3 <= len(lifetimes) <= 20
    assert np.mean(durations > 1.0) >= 0.6, durations


def test_annotated_real_frames_with_areas_and_focus_filtering(clip_detections):
    tracker = Tracker()
    left_half = area_to_pixels([[0, 0], [0.5, 0], [0.5, 1], [0, 1]], 768, 576, normalized=True)
    for t, frame, people in clip_detections[:101]:
        tracked = tracker.update(people, t)
        if frame is None:
            continue
        inside = people_in_areas([tp.person for tp in tracked], [left_half])
        focus = [tp for tp, ok in zip(tracked, inside, strict=True) if ok]
        assert all(tp.person.box[0] < 768 / 2 + 100 for tp in focus)
        out = annotate(frame, focus, areas=[DrawArea("left", left_half)], header=Header("demo", t, 10.0))
        assert out.shape == frame.shape and not np.array_equal(out, frame)
