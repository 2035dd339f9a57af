"""Merging people found by several overlapping passes (tiles, crops) into one list.

Pure geometry on `Person` boxes; no model here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videohar.vision.types import Person


def boxes_of(people: Sequence[Person]) -> np.ndarray:
    return np.array([p.box for p in people], np.float32).reshape(-1, 4)


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of two xyxy box arrays (N, 4) × (M, 4)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def _containment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of each box in `a` that lies inside each box in `b`."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    return inter / np.maximum(area_a[:, None], 1e-6)


def merge_people(
    people: Sequence[Person], iou_threshold: float = 0.45, containment_threshold: float = 0.8
) -> list[Person]:
    """Greedy NMS by score, dropping duplicates and fragments.

    A fragment is a lower-scoring box mostly inside a kept one (a body cut by a tile edge).
    """
    if not people:
        return []
    order = sorted(people, key=lambda p: p.score, reverse=True)
    boxes = boxes_of(order)
    iou = pairwise_iou(boxes, boxes)
    inside = _containment(boxes, boxes)
    kept: list[int] = []
    for i in range(len(order)):
        if all(iou[i, k] < iou_threshold and inside[i, k] < containment_threshold for k in kept):
            kept.append(i)
    return [order[i] for i in kept]
