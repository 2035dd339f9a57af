"""Pipeline data types shared by pose backends, tracking, actions and drawing (DESIGN.md §3).

Backends convert their raw output into `Person`; nothing downstream knows a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
"""COCO-17 keypoint order; left before right."""

COCO17_FLIP = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
"""Index permutation that swaps left and right joints (horizontal flip)."""

COCO17_EDGES = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10),
    (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip
"""Skeleton edges for drawing and bone features."""


@dataclass(slots=True)
class Person:
    """One detected person in one frame, in frame pixel coordinates.

    `box` is xyxy, `keypoints` is (17, 3) = x, y, confidence in COCO-17 order.
    """

    box: np.ndarray
    score: float
    keypoints: np.ndarray

    def __post_init__(self) -> None:
        self.box = np.asarray(self.box, dtype=np.float32).reshape(4)
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32).reshape(17, 3)


@dataclass(slots=True)
class TrackedPerson:
    """A person with a stable per-camera track id (set by the tracker)."""

    track_id: int
    person: Person
    confirmed: bool = True
    age: int = 0
    labels: dict[str, float] = field(default_factory=dict)
    """Current smoothed action scores, for drawing and events."""
