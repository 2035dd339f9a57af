"""MoveNet MultiPose Lightning on LiteRT: one network pass over a letterboxed image.

The model takes a dynamic `uint8[1, H, W, 3]` RGB input (H, W multiples of 32) and returns
`float32[1, 6, 56]`: per person 17 × (y, x, score), then ymin, xmin, ymax, xmax, score, all
normalised to the padded canvas. It finds at most six people per pass, which is why wide views
need the region strategy in `regions.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from videohar.vision.pose.base import PoseBackend, check_frame
from videohar.vision.types import Person

MAX_PEOPLE = 6
"""MoveNet MultiPose returns six candidates per pass, no more."""


def _multiple_of_32(value: float) -> int:
    return max(32, round(value / 32) * 32)


def input_size_for(frame_hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Network input (H, W) whose aspect matches the frame: a square input wastes pixels."""
    h, w = frame_hw
    if w >= h:
        return _multiple_of_32(long_side * h / w), _multiple_of_32(long_side)
    return _multiple_of_32(long_side), _multiple_of_32(long_side * w / h)


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was fitted into the network canvas: scaled by `scale`, padded right/bottom."""

    scale: float
    canvas_hw: tuple[int, int]

    def to_image(self, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canvas-normalised (y, x) → pixel coordinates of the image that was letterboxed."""
        ch, cw = self.canvas_hw
        return y * ch / self.scale, x * cw / self.scale


def letterbox(image_bgr: np.ndarray, canvas_hw: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio into an RGB canvas of `canvas_hw`, padding right/bottom."""
    ch, cw = canvas_hw
    h, w = image_bgr.shape[:2]
    scale = min(ch / h, cw / w)
    nh, nw = max(1, min(ch, round(h * scale))), max(1, min(cw, round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image_bgr, (nw, nh), interpolation=interp)
    canvas = np.zeros((ch, cw, 3), np.uint8)
    canvas[:nh, :nw] = resized[..., ::-1]
    return canvas, Letterbox(scale, canvas_hw)


class MoveNetModel:
    """One LiteRT interpreter; re-allocates only when the input shape changes."""

    def __init__(self, model: bytes | None = None, threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        from videohar.model_bundle import movenet_tflite

        self._interpreter = Interpreter(model_content=model or movenet_tflite(), num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] = ()

    def run(self, canvas_rgb: np.ndarray) -> np.ndarray:
        """Raw `(6, 56)` output for one RGB canvas `(H, W, 3)` with H, W multiples of 32."""
        shape = (1, *canvas_rgb.shape)
        if shape != self._shape:
            self._interpreter.resize_tensor_input(self._input, shape)
            self._interpreter.allocate_tensors()
            self._shape = shape
        self._interpreter.set_tensor(self._input, canvas_rgb[None])
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0].copy()


def decode(raw: np.ndarray, box: Letterbox, threshold: float, origin: tuple[float, float] = (0.0, 0.0)) -> list[Person]:
    """Rows of a raw output above `threshold` as people in the coordinates of the full frame.

    `origin` is the (x, y) of the letterboxed image's top-left corner in the frame (crops).
    """
    people = []
    ox, oy = origin
    for row in raw:
        score = float(row[55])
        if score < threshold:
            continue
        kp = row[:51].reshape(17, 3)
        ky, kx = box.to_image(kp[:, 0], kp[:, 1])
        (y0, y1), (x0, x1) = box.to_image(row[[51, 53]], row[[52, 54]])
        keypoints = np.stack([kx + ox, ky + oy, kp[:, 2]], axis=1)
        people.append(Person(box=(x0 + ox, y0 + oy, x1 + ox, y1 + oy), score=score, keypoints=keypoints))
    return people


def clip_to_frame(people: Sequence[Person], frame_hw: tuple[int, int]) -> list[Person]:
    """Boxes and keypoints clipped into the frame (the network may reach into the padding)."""
    h, w = frame_hw
    for person in people:
        person.box[[0, 2]] = np.clip(person.box[[0, 2]], 0, w - 1)
        person.box[[1, 3]] = np.clip(person.box[[1, 3]], 0, h - 1)
        person.keypoints[:, 0] = np.clip(person.keypoints[:, 0], 0, w - 1)
        person.keypoints[:, 1] = np.clip(person.keypoints[:, 1], 0, h - 1)
    return [p for p in people if p.box[2] - p.box[0] >= 2 and p.box[3] - p.box[1] >= 2]


class MoveNetBackend(PoseBackend):
    """Plain MoveNet over the whole frame: fast, but small or many people are missed.

    `input_size` is the canvas (H, W) (multiples of 32); with `long_side` instead, the canvas
    follows each frame's aspect ratio.
    """

    type_key = "movenet"
    input_option = "long_side"

    def __init__(
        self,
        input_size: tuple[int, int] | None = None,
        long_side: int = 512,
        threads: int = 2,
        score_threshold: float = 0.2,
        model: MoveNetModel | None = None,
    ) -> None:
        if input_size is not None and any(s <= 0 or s % 32 for s in input_size):
            raise ValueError(f"input_size must be positive multiples of 32, got {input_size}")
        self.input_size = tuple(input_size) if input_size else None
        self.long_side = long_side
        self.score_threshold = score_threshold
        self.model = model or MoveNetModel(threads=threads)

    def estimate(self, frame: np.ndarray) -> list[Person]:
        frame = check_frame(frame)
        size = self.input_size or input_size_for(frame.shape[:2], self.long_side)
        canvas, box = letterbox(frame, size)
        people = decode(self.model.run(canvas), box, self.score_threshold)
        return clip_to_frame(people, frame.shape[:2])
