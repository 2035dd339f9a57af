"""MoveNet on crops around where people are likely to be: the default for wide camera views.

A full-frame MoveNet pass sees small people at 40–70 px and at most six of them, so in a wide
CCTV view it misses many. Here each frame is covered only where it matters, at native scale:

* proposals = boxes of moving blobs (background subtraction) ∪ people found in the previous
  frame ∪ one rotating "scan" tile (so still people are found within a sweep of the grid);
* proposals are packed into as few fixed-size crops as possible; each crop is one MoveNet pass
  at a scale that puts people at 60–110 px, where MoveNet is reliable;
* people are discovered (scan tiles, first frame) at a higher threshold than they are followed;
* the first frame (or after `reset()`) is scanned whole: every tile plus one full-frame pass
  for people too big for a tile.

Detections from all passes are merged by NMS; fragments cut by a crop edge are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videohar.vision.pose.base import PoseBackend, check_frame
from videohar.vision.pose.merge import merge_people
from videohar.vision.pose.motion import MotionBoxes
from videohar.vision.pose.movenet import (
    MoveNetModel,
    clip_to_frame,
    decode,
    input_size_for,
    letterbox,
)
from videohar.vision.types import Person

Box = tuple[int, int, int, int]


def tile_grid(frame_hw: tuple[int, int], size: int, overlap: float = 0.5) -> list[Box]:
    """Square tiles of `size` px covering the frame, overlapping by `overlap` of a tile."""
    h, w = frame_hw
    step = max(1, int(size * (1 - overlap)))

    def starts(length: int) -> list[int]:
        last = max(length - size, 0)
        return sorted({*range(0, last + 1, step), last})

    return [(x, y, min(x + size, w), min(y + size, h)) for y in starts(h) for x in starts(w)]


def plan_crops(proposals: np.ndarray, frame_hw: tuple[int, int], size: int, margin: int = 12) -> list[Box]:
    """Few square crops (`size` px, larger for big proposals) that each fully hold some proposals.

    Greedy: take the uncovered proposal with the largest box, try windows aligned to its
    sides and centre, keep the one holding the most other uncovered proposals.
    """
    h, w = frame_hw
    if len(proposals) == 0:
        return []
    boxes = np.asarray(proposals, np.float32).reshape(-1, 4).copy()
    boxes[:, :2] -= margin
    boxes[:, 2:] += margin
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h)
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    uncovered = np.ones(len(boxes), bool)
    crops: list[Box] = []
    while uncovered.any():
        i = int(np.argmax(np.where(uncovered, sides, -1)))
        side = int(max(size, np.ceil(sides[i])))
        x0, y0, x1, y1 = boxes[i]
        best: tuple[int, Box] | None = None
        for cx in (x0, x1 - side, (x0 + x1 - side) / 2):
            for cy in (y0, y1 - side, (y0 + y1 - side) / 2):
                left = int(np.clip(cx, 0, max(w - side, 0)))
                top = int(np.clip(cy, 0, max(h - side, 0)))
                crop = (left, top, min(left + side, w), min(top + side, h))
                inside = (
                    (boxes[:, 0] >= crop[0]) & (boxes[:, 1] >= crop[1])
                    & (boxes[:, 2] <= crop[2]) & (boxes[:, 3] <= crop[3])
                )  # fmt: skip
                held = int((inside & uncovered).sum())
                if best is None or held > best[0]:
                    best = (held, crop)
                    best_inside = inside
        assert best is not None
        crops.append(best[1])
        uncovered &= ~best_inside
        uncovered[i] = False
    return crops


def _cut_by_edge(box: np.ndarray, crop: Box, frame_hw: tuple[int, int], tol: float = 2.0) -> bool:
    """Whether a box touches a crop edge that is not also a frame edge (a body cut in two)."""
    h, w = frame_hw
    x0, y0, x1, y1 = crop
    return bool(
        (x0 > 0 and box[0] <= x0 + tol)
        or (y0 > 0 and box[1] <= y0 + tol)
        or (x1 < w and box[2] >= x1 - tol)
        or (y1 < h and box[3] >= y1 - tol)
    )


class MoveNetRegionsBackend(PoseBackend):
    """MoveNet on motion / previous-people / scan crops at native scale (see module docstring).

    `crop_size` is the crop side in frame pixels and `input_size` the network side for it;
    `input_size / crop_size` ≈ 1 suits people 60–150 px tall; raise it for smaller people. Stateful per stream: call
    `reset()` when the source changes (the first frame after it is scanned whole).
    """

    type_key = "movenet_regions"
    input_option = "input_size"

    def __init__(
        self,
        crop_size: int = 160,
        input_size: int = 160,
        full_long_side: int = 384,
        threads: int = 2,
        score_threshold: float = 0.12,
        discovery_threshold: float = 0.2,
        scan_every: int = 3,
        model: MoveNetModel | None = None,
    ) -> None:
        if input_size % 32 or input_size <= 0:
            raise ValueError(f"input_size must be a positive multiple of 32, got {input_size}")
        if crop_size < 32:
            raise ValueError(f"crop_size too small: {crop_size}")
        self.crop_size = crop_size
        self.input_size = input_size
        self.full_long_side = full_long_side
        self.score_threshold = score_threshold
        self.discovery_threshold = max(discovery_threshold, score_threshold)
        self.scan_every = max(1, scan_every)
        self.model = model or MoveNetModel(threads=threads)
        self.motion = MotionBoxes()
        self.reset()

    def reset(self) -> None:
        self.motion.reset()
        self._previous: list[Person] = []
        self._frame_hw: tuple[int, int] | None = None
        self._scan_index = 0
        self._frames = 0

    def estimate(self, frame: np.ndarray) -> list[Person]:
        frame = check_frame(frame)
        hw = frame.shape[:2]
        motion = self.motion(frame)
        if hw != self._frame_hw:
            self._frame_hw = hw
            people = self.scan_whole(frame)
        else:
            proposals = np.concatenate([motion, np.array([p.box for p in self._previous]).reshape(-1, 4)])
            crops = plan_crops(proposals, hw, self.crop_size)
            found = self._detect(frame, self._next_scan_tiles(hw), self.discovery_threshold)
            people = self.estimate_regions(frame, crops, extra=found)
        self._previous = people
        return people

    def scan_whole(self, frame: np.ndarray) -> list[Person]:
        """Every tile plus a full-frame pass: for a single image or a stream's first frame."""
        hw = frame.shape[:2]
        canvas, box = letterbox(frame, input_size_for(hw, self.full_long_side))
        found = decode(self.model.run(canvas), box, self.discovery_threshold)
        found += self._detect(frame, tile_grid(hw, self.crop_size), self.discovery_threshold)
        return clip_to_frame(merge_people(found), hw)

    def estimate_regions(self, frame: np.ndarray, regions: Sequence[Box], extra: Sequence[Person] = ()) -> list[Person]:
        """People found in the given xyxy regions of `frame` (one MoveNet pass each), merged."""
        frame = check_frame(frame)
        found = [*extra, *self._detect(frame, regions, self.score_threshold)]
        return clip_to_frame(merge_people(found), frame.shape[:2])

    def _detect(self, frame: np.ndarray, regions: Sequence[Box], threshold: float) -> list[Person]:
        hw = frame.shape[:2]
        found = []
        for x0, y0, x1, y1 in regions:
            crop = frame[y0:y1, x0:x1]
            if crop.shape[0] < 8 or crop.shape[1] < 8:
                continue
            canvas, box = letterbox(crop, (self.input_size, self.input_size))
            for person in decode(self.model.run(canvas), box, threshold, origin=(x0, y0)):
                if not _cut_by_edge(person.box, (x0, y0, x1, y1), hw):
                    found.append(person)
        return found

    def _next_scan_tiles(self, hw: tuple[int, int]) -> list[Box]:
        grid = tile_grid(hw, self.crop_size, overlap=0.25)
        self._frames += 1
        if self._frames % self.scan_every:
            return []
        self._scan_index += 1
        return [grid[self._scan_index % len(grid)]]
