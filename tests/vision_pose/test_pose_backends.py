"""Pose backends on real footage and photos, the registry, and bad input."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from videohar.model_bundle import movenet_tflite
from videohar.vision.pose import (
    MoveNetBackend,
    MoveNetRegionsBackend,
    PoseBackend,
    available_pose_backends,
    create_pose_backend,
)
from videohar.vision.pose.evaluation import match_boxes, score_frames

MOVENET_SHA256 = "d4489f89e6bd6777a8b9a1a16189832131f84ff90d82fae729e670b84d7948dd"


def test_model_bytes_are_the_published_movenet() -> None:
    assert hashlib.sha256(movenet_tflite()).hexdigest() == MOVENET_SHA256


def test_registry_names_and_default() -> None:
    names = available_pose_backends()
    assert {"default", "movenet", "movenet_regions"} <= set(names)
    assert isinstance(create_pose_backend("default"), MoveNetRegionsBackend)
    plain = create_pose_backend("movenet", input_size=(288, 384), score_threshold=0.3)
    assert isinstance(plain, MoveNetBackend) and isinstance(plain, PoseBackend)
    assert plain.name == "movenet" and plain.score_threshold == 0.3
    with pytest.raises(ValueError, match="unknown pose backend"):
        create_pose_backend("yolo-does-not-exist")
    with pytest.raises(ValueError, match="multiples of 32"):
        create_pose_backend("movenet", input_size=(250, 384))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64, 3), np.float32),
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 4), np.uint8),
        np.zeros((4, 4, 3), np.uint8),
        [[0, 0, 0]],
    ],
    ids=["float", "grey", "bgra", "tiny", "list"],
)
def test_bad_frames_raise_value_error(movenet_model, bad) -> None:
    for backend in (MoveNetBackend(model=movenet_model), MoveNetRegionsBackend(model=movenet_model)):
        with pytest.raises(ValueError):
            backend.estimate(bad)


def _check_geometry(people, frame: np.ndarray) -> None:
    h, w = frame.shape[:2]
    for person in people:
        x0, y0, x1, y1 = person.box
        assert 0 <= x0 < x1 <= w - 1 and 0 <= y0 < y1 <= h - 1
        assert person.keypoints.shape == (17, 3) and person.keypoints.dtype == np.float32
        confident = person.keypoints[person.keypoints[:, 2] > 0.3]
        pad = 0.25 * max(x1 - x0, y1 - y0)
        assert (confident[:, 0] >= x0 - pad).all() and (confident[:, 0] <= x1 + pad).all()
        assert (confident[:, 1] >= y0 - pad).all() and (confident[:, 1] <= y1 + pad).all()


def test_letterbox_is_undone_at_any_scale(movenet_model, pose_image) -> None:
    """The same photo at 2× size gives the same people at 2× coordinates."""
    frame = pose_image("messi5.jpg")  # 548×342: not the canvas aspect, so padding is present
    backend = MoveNetBackend(input_size=(256, 256), model=movenet_model)
    small = backend.estimate(frame)
    big = backend.estimate(cv2.resize(frame, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR))
    assert small and len(small) == len(big)
    _check_geometry(small, frame)
    for a, b in zip(sorted(small, key=lambda p: p.box[0]), sorted(big, key=lambda p: p.box[0]), strict=True):
        assert np.abs(b.box / 2 - a.box).max() < 6
        assert np.median(np.abs(b.keypoints[:, :2] / 2 - a.keypoints[:, :2])) < 4


def test_regions_map_crops_back_to_frame(movenet_model, pose_image) -> None:
    """A person found in a crop lands where the same person is in the full frame."""
    frame = pose_image("basketball1.png")
    backend = MoveNetRegionsBackend(model=movenet_model)
    crop_box = (0, 40, 240, 480)
    in_region = backend.estimate_regions(frame, [crop_box])
    assert len(in_region) == 1
    _check_geometry(in_region, frame)
    nose = in_region[0].keypoints[0]
    assert nose[2] > 0.3 and 60 < nose[0] < 110 and 85 < nose[1] < 140


def test_single_photos(movenet_model, pose_image) -> None:
    backend = MoveNetRegionsBackend(model=movenet_model)
    two = pose_image("basketball1.png")
    people = backend.estimate(two)
    _check_geometry(people, two)
    assert match_boxes([p.box for p in people], [[35, 75, 165, 478], [435, 25, 640, 479]], 0.5).recall == 1.0

    backend.reset()
    player = pose_image("messi5.jpg")
    people = backend.estimate(player)
    _check_geometry(people, player)
    found = match_boxes([p.box for p in people], [[68, 60, 458, 338]], 0.5)
    assert found.true_positives == 1 and found.false_positives == 0


def test_default_backend_finds_people_on_demo_clip(movenet_model, walkway_frames, walkway_reference) -> None:
    """Recall/precision against the hand-checked reference on frames 0–60 (7 reference frames)."""
    backend = create_pose_backend("default", model=movenet_model)
    predicted = {}
    for index, frame in enumerate(walkway_frames):
        people = backend.estimate(frame)
        if str(index) in walkway_reference:
            predicted[str(index)] = [p.box for p in people]
            _check_geometry(people, frame)
    pairs = [(predicted[k], walkway_reference[k]) for k in predicted]
    total = score_frames(pairs, iou=0.3)
    assert len(pairs) == 7
    assert total.recall >= 0.85, total
    assert total.precision >= 0.85, total
    for found, reference in pairs:
        assert abs(len(found) - len(reference)) <= 2


def test_plain_movenet_misses_people_the_default_finds(movenet_model, walkway_frames, walkway_reference) -> None:
    """The reason for the region strategy: one small full-frame pass sees few of the walkers."""
    plain = MoveNetBackend(input_size=(256, 256), model=movenet_model)
    pairs = [(plain.estimate(walkway_frames[i]), walkway_reference[str(i)]) for i in range(0, 61, 10)]
    total = score_frames(([p.box for p in people], ref) for people, ref in pairs)
    assert total.recall < 0.8
