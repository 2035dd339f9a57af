"""Body measures of one observation in pixels: the vocabulary rules and fall logic share.

The camera is a fixed CCTV looking down at an angle, so absolute pixel sizes mean little;
everything that matters is relative to the person's own upright body height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NOSE, L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST, L_HIP, R_HIP = 0, 5, 6, 9, 10, 11, 12
HEAD = (0, 1, 2, 3, 4)


def midpoint(keypoints: np.ndarray, first: int, second: int, min_score: float) -> tuple[float, float] | None:
    """Mean of the joints of the pair that are confident enough; None when neither is."""
    visible = [index for index in (first, second) if keypoints[index, 2] >= min_score]
    if not visible:
        return None
    x, y = np.mean(keypoints[visible, :2], axis=0)
    return float(x), float(y)


@dataclass(frozen=True, slots=True)
class BodyObservation:
    """Geometry of one person at one time (pixels; angles in degrees from vertical)."""

    t: float
    height: float
    width: float
    centre_y: float
    bottom_y: float
    """Box bottom: where the feet (or the lowest body part) are."""
    hip: tuple[float, float] | None
    shoulder: tuple[float, float] | None
    torso_angle: float | None
    torso_length: float | None

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def hip_y(self) -> float | None:
        return None if self.hip is None else self.hip[1]

    @property
    def hip_height(self) -> float:
        """Hips (box centre if unseen) above the box bottom in pixels; shrinks as a person goes down.

        Relative to the feet, so walking towards a tilted camera (which moves the whole body
        down the image) is not mistaken for a drop.
        """
        return self.bottom_y - (self.centre_y if self.hip is None else self.hip[1])


def observe(t: float, box: np.ndarray, keypoints: np.ndarray, min_score: float = 0.3) -> BodyObservation:
    """Box size, hip / shoulder midpoints and torso angle (anchor = nose, else shoulders)."""
    width = max(1e-6, float(box[2] - box[0]))
    height = max(1e-6, float(box[3] - box[1]))
    hip = midpoint(keypoints, L_HIP, R_HIP, min_score)
    shoulder = midpoint(keypoints, L_SHOULDER, R_SHOULDER, min_score)
    nose = (float(keypoints[NOSE, 0]), float(keypoints[NOSE, 1])) if keypoints[NOSE, 2] >= min_score else None
    anchor = nose or shoulder
    angle = length = None
    if hip is not None and anchor is not None:
        dx, dy = hip[0] - anchor[0], hip[1] - anchor[1]
        length = math.hypot(dx, dy)
        if length > 1e-6:
            angle = math.degrees(math.atan2(abs(dx), abs(dy)))
        else:
            length = None
    return BodyObservation(
        t=float(t),
        height=height,
        width=width,
        centre_y=float(box[1] + box[3]) * 0.5,
        bottom_y=float(box[3]),
        hip=hip,
        shoulder=shoulder,
        torso_angle=angle,
        torso_length=length,
    )


def body_height(observation: BodyObservation, baseline_height: float | None) -> float:
    """Reference body height in pixels: the upright baseline when known, else the box's long side."""
    if baseline_height and baseline_height > 1.0:
        return baseline_height
    return max(observation.height, observation.width, 1.0)


def clamp01(value: float) -> float:
    return float(min(1.0, max(0.0, value)))
