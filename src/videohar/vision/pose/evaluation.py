"""Recall and precision of detected person boxes against a hand-checked reference.

Used by the pose benchmark and tests; greedy one-to-one matching by IoU, best pairs first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from videohar.vision.pose.merge import pairwise_iou


@dataclass(frozen=True, slots=True)
class Matches:
    true_positives: int
    false_positives: int
    false_negatives: int

    def __add__(self, other: Matches) -> Matches:
        return Matches(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    @property
    def recall(self) -> float:
        found = self.true_positives + self.false_negatives
        return self.true_positives / found if found else 1.0

    @property
    def precision(self) -> float:
        said = self.true_positives + self.false_positives
        return self.true_positives / said if said else 1.0


def match_boxes(predicted: Sequence[Sequence[float]], reference: Sequence[Sequence[float]], iou: float) -> Matches:
    """Count one-to-one matches with IoU ≥ `iou` between xyxy boxes of one frame."""
    pred = np.asarray(predicted, np.float32).reshape(-1, 4)
    ref = np.asarray(reference, np.float32).reshape(-1, 4)
    overlap = pairwise_iou(pred, ref)
    matched = 0
    while overlap.size and overlap.max() >= iou:
        i, j = np.unravel_index(int(overlap.argmax()), overlap.shape)
        overlap[i, :] = -1
        overlap[:, j] = -1
        matched += 1
    return Matches(matched, len(pred) - matched, len(ref) - matched)


def score_frames(
    pairs: Iterable[tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]]], iou: float = 0.3
) -> Matches:
    """Totals over frames of (predicted boxes, reference boxes) pairs."""
    total = Matches(0, 0, 0)
    for predicted, reference in pairs:
        total += match_boxes(predicted, reference, iou)
    return total
