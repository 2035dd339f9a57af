"""Pure geometry on boxes, skeletons and focus areas (no drawing, no state).

Boxes are xyxy pixels, keypoints are `(17, 3)` = x, y, confidence (COCO-17), and an area is a
polygon `(K, 2)` of x, y. Areas are stored either in pixels or normalised to 0..1 of the frame;
`area_to_pixels` is the one place that turns either into pixels for a given frame size.

>>> inside = people_in_areas(people, [area_to_pixels(points, 768, 576, normalized=True)])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from videohar.vision.types import Person

COCO17_SIGMAS = (
    np.array(
        [
            0.26,
            0.25,
            0.25,
            0.35,
            0.35,
            0.79,
            0.79,
            0.72,
            0.72,
            0.62,
            0.62,
            1.07,
            1.07,
            0.87,
            0.87,
            0.89,
            0.89,
        ],
        dtype=np.float32,
    )
    / 10.0
)
"""Per-joint COCO keypoint sigmas (how far annotators disagree); OKS tolerates more at the hips."""

LEFT_ANKLE, RIGHT_ANKLE = 15, 16


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4): (N, M)."""
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def oks_matrix(
    a: np.ndarray,
    b: np.ndarray,
    areas: np.ndarray,
    min_conf: float = 0.2,
    min_joints: int = 3,
) -> np.ndarray:
    """Object keypoint similarity of skeletons `a` (N, 17, 3) against `b` (M, 17, 3): (N, M).

    `areas` (N,) is the object scale s² of each skeleton in `a` (its box area). Only joints
    confident (≥ `min_conf`) in both skeletons count; a pair sharing fewer than `min_joints`
    such joints is not comparable and gets NaN, so callers can fall back to box overlap.
    """
    a = np.asarray(a, dtype=np.float32).reshape(-1, 17, 3)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 17, 3)
    areas = np.maximum(np.asarray(areas, dtype=np.float32).reshape(-1), 1.0)
    d2 = ((a[:, None, :, :2] - b[None, :, :, :2]) ** 2).sum(-1)  # (N, M, 17)
    tolerance = 2.0 * areas[:, None, None] * (2.0 * COCO17_SIGMAS) ** 2
    visible = (a[:, None, :, 2] >= min_conf) & (b[None, :, :, 2] >= min_conf)
    count = visible.sum(-1)
    total = (np.exp(-d2 / tolerance) * visible).sum(-1)
    return np.where(count >= min_joints, total / np.maximum(count, 1), np.nan).astype(np.float32)


def rect_to_polygon(rect: Mapping[str, float]) -> np.ndarray:
    """The seed's rectangle `{"x", "y", "width", "height"}` as a 4-point polygon (clockwise)."""
    x, y = float(rect["x"]), float(rect["y"])
    w, h = float(rect["width"]), float(rect["height"])
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def area_to_pixels(
    points: Sequence[Sequence[float]] | np.ndarray, width: int, height: int, *, normalized: bool
) -> np.ndarray:
    """An area's polygon in pixel coordinates of a `width` × `height` frame.

    Normalised areas (0..1 of the frame) follow the camera when its resolution changes;
    pixel areas are returned unchanged.
    """
    polygon = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if normalized:
        polygon = polygon * np.array([width, height], dtype=np.float32)
    return polygon


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which of `points` (N, 2) lie inside `polygon` (K, 2), by the even-odd rule: (N,) bool.

    Works for concave polygons; a polygon with fewer than 3 vertices contains nothing.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(poly) < 3 or len(pts) == 0:
        return np.zeros(len(pts), dtype=bool)
    x, y = pts[:, 0:1], pts[:, 1:2]  # (N, 1)
    x0, y0 = poly[:, 0], poly[:, 1]  # (K,)
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    straddles = (y0 > y) != (y1 > y)  # edge crosses the horizontal line through the point
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    crossings = straddles & (x < x_cross)
    return (crossings.sum(axis=1) % 2) == 1


def point_in_polygon(point: Sequence[float], polygon: np.ndarray) -> bool:
    return bool(points_in_polygon(np.asarray(point, dtype=np.float64).reshape(1, 2), polygon)[0])


def foot_point(person: Person, min_conf: float = 0.2) -> np.ndarray:
    """Where a person stands: mid-ankles, one ankle if only one is seen, else box bottom centre.

    Areas are drawn on the floor, so the feet, not the box centre, decide membership.
    """
    ankles = person.keypoints[[LEFT_ANKLE, RIGHT_ANKLE]]
    seen = ankles[ankles[:, 2] >= min_conf]
    if len(seen):
        return seen[:, :2].mean(axis=0).astype(np.float32)
    x0, _, x1, y1 = person.box
    return np.array([(x0 + x1) / 2.0, y1], dtype=np.float32)


def area_membership(people: Sequence[Person], polygons: Sequence[np.ndarray], min_conf: float = 0.2) -> np.ndarray:
    """(people, areas) bool: whether each person's foot point lies in each pixel polygon."""
    result = np.zeros((len(people), len(polygons)), dtype=bool)
    if len(people) == 0:
        return result
    feet = np.stack([foot_point(p, min_conf) for p in people])
    for j, polygon in enumerate(polygons):
        result[:, j] = points_in_polygon(feet, polygon)
    return result


def people_in_areas(people: Sequence[Person], polygons: Sequence[np.ndarray], min_conf: float = 0.2) -> np.ndarray:
    """(people,) bool: inside at least one area. With no areas everybody counts.

    This is the focus-area rule: when a camera has areas, people outside all of them are ignored.
    """
    if not polygons:
        return np.ones(len(people), dtype=bool)
    return area_membership(people, polygons, min_conf).any(axis=1)
