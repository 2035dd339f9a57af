"""Synthetic people for tracking, geometry and drawing tests: a standing skeleton template."""

from __future__ import annotations

import numpy as np
import pytest

from videohar.vision.types import Person

# Standing person, joints as fractions of the box (x, y), COCO-17 order.
TEMPLATE = np.array(
    [
        [0.50, 0.06], [0.45, 0.04], [0.55, 0.04], [0.40, 0.06], [0.60, 0.06],
        [0.30, 0.20], [0.70, 0.20], [0.25, 0.38], [0.75, 0.38], [0.22, 0.52], [0.78, 0.52],
        [0.38, 0.52], [0.62, 0.52], [0.38, 0.75], [0.62, 0.75], [0.38, 0.97], [0.62, 0.97],
    ],
    dtype=np.float32,
)  # fmt: skip


def person_at(
    cx: float,
    cy: float,
    h: float = 100.0,
    score: float = 0.6,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
    kp_conf: float = 0.6,
) -> Person:
    """A person whose box is centred at (cx, cy), height h, width 0.4 h, with optional noise."""
    w = 0.4 * h
    if rng is not None and jitter:
        cx, cy = cx + rng.normal(0, jitter * h), cy + rng.normal(0, jitter * h)
        h = h * (1 + rng.normal(0, jitter))
        w = w * (1 + rng.normal(0, jitter))
    x0, y0 = cx - w / 2, cy - h / 2
    kps = np.zeros((17, 3), np.float32)
    kps[:, 0] = x0 + TEMPLATE[:, 0] * w
    kps[:, 1] = y0 + TEMPLATE[:, 1] * h
    if rng is not None and jitter:
        kps[:, :2] += rng.normal(0, jitter * h * 0.5, size=(17, 2))
    kps[:, 2] = kp_conf
    return Person(box=(x0, y0, x0 + w, y0 + h), score=score, keypoints=kps)


@pytest.fixture
def make_person():
    """`person_at` as a fixture (test modules are not importable from each other in importlib mode)."""
    return person_at
