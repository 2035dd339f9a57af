"""One interface for every action recogniser: rules, the NFD fall model, trained ONNX models.

A recogniser is called once per analysed frame with the history of every live track on one
camera and returns per-track label scores in [0, 1]. Rules read raw pixel history from the
buffers; window models implement only `score(windows)` and get batching over tracks for free.

    recogniser = create_recogniser("rules")
    scores = recogniser.update(t, {track_id: buffer, ...}, context)   # {track_id: {"fall": 0.9, ...}}
    recogniser.forget(track_id)                                       # when the tracker drops it
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from videohar.actions.windows import SkeletonBuffer, WindowSpec, normalise_window
from videohar.vision.geometry import point_in_polygon

TrackScores = dict[int, dict[str, float]]
"""track id -> label -> score in [0, 1]."""


@dataclass(frozen=True)
class Area:
    """A named polygon (pixels) on one camera, the actions it reacts to and its dwell time.

    `actions` empty means the area reacts to every action; `dwell_seconds` is the time a
    person must stay inside before `loitering` is raised.
    """

    name: str
    polygon: tuple[tuple[float, float], ...]
    actions: frozenset[str] = frozenset()
    dwell_seconds: float = 30.0

    def __post_init__(self) -> None:
        polygon = tuple((float(x), float(y)) for x, y in self.polygon)
        if len(polygon) < 3:
            raise ValueError(f"area {self.name!r} needs at least 3 polygon points")
        if not all(np.isfinite(polygon).ravel()):
            raise ValueError(f"area {self.name!r} has non-finite polygon points")
        if self.dwell_seconds < 0:
            raise ValueError(f"area {self.name!r} dwell_seconds must be >= 0")
        object.__setattr__(self, "polygon", polygon)
        object.__setattr__(self, "actions", frozenset(self.actions))

    def reacts_to(self, label: str) -> bool:
        return not self.actions or label in self.actions

    def contains(self, point: Sequence[float]) -> bool:
        """Points on an edge may land either side."""
        return point_in_polygon(point, np.asarray(self.polygon, dtype=np.float64))


@dataclass(frozen=True)
class RecogniserContext:
    """What a recogniser may know about the camera besides the tracks."""

    camera_id: str
    frame_size: tuple[int, int]
    """(width, height) in pixels."""
    areas: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        width, height = self.frame_size
        if width <= 0 or height <= 0:
            raise ValueError(f"frame_size must be positive (width, height), got {self.frame_size}")
        object.__setattr__(self, "camera_id", str(self.camera_id))
        object.__setattr__(self, "areas", tuple(self.areas))

    def areas_for(self, label: str) -> tuple[Area, ...]:
        return tuple(area for area in self.areas if area.reacts_to(label))


def foot_point(box: np.ndarray) -> tuple[float, float]:
    """Where a person stands in the image: bottom centre of the box (used for areas)."""
    return float(box[0] + box[2]) * 0.5, float(box[3])


class Recogniser(ABC):
    """Per-camera, stateful: one instance per camera (state is kept per track id)."""

    name: ClassVar[str] = ""
    labels: tuple[str, ...] = ()

    @abstractmethod
    def update(self, t: float, tracks: Mapping[int, SkeletonBuffer], context: RecogniserContext) -> TrackScores:
        """Scores for the tracks seen at time `t` (buffers already hold the observation at `t`)."""

    def forget(self, track_id: int) -> None:  # noqa: B027 - stateless recognisers need nothing
        """Drop per-track state when the tracker loses the track."""


class WindowRecogniser(Recogniser):
    """A model over normalised fixed-rate windows, batched over all tracks with enough history."""

    spec: WindowSpec
    min_coverage: float = 0.75

    @abstractmethod
    def score(self, windows: np.ndarray) -> np.ndarray:
        """(N, T, V, C) normalised windows -> (N, len(labels)) scores in [0, 1]."""

    def update(self, t: float, tracks: Mapping[int, SkeletonBuffer], context: RecogniserContext) -> TrackScores:
        ids: list[int] = []
        windows: list[np.ndarray] = []
        for track_id, buffer in tracks.items():
            window = buffer.window(self.spec, min_coverage=self.min_coverage)
            if window is not None:
                ids.append(track_id)
                windows.append(normalise_window(window, self.spec))
        if not ids:
            return {}
        scores = np.asarray(self.score(np.stack(windows)), dtype=np.float32)
        if scores.shape != (len(ids), len(self.labels)):
            raise RuntimeError(
                f"{type(self).__name__}.score returned {scores.shape}, expected {(len(ids), len(self.labels))}"
            )
        return {
            track_id: dict(zip(self.labels, map(float, row), strict=True))
            for track_id, row in zip(ids, scores, strict=True)
        }


_REGISTRY: dict[str, Callable[..., Recogniser]] = {}


def register_recogniser(name: str) -> Callable[[Callable[..., Recogniser]], Callable[..., Recogniser]]:
    """Class decorator: make a recogniser creatable by name from configuration."""

    def decorate(factory: Callable[..., Recogniser]) -> Callable[..., Recogniser]:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"recogniser {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorate


def _load_builtin() -> None:
    from videohar.actions import nfd, onnx_model, rules  # noqa: F401 - registers themselves


def available_recognisers() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def create_recogniser(name: str, **options: Any) -> Recogniser:
    """A new recogniser by registered name (`rules`, `nfd`, `onnx`) with its options."""
    _load_builtin()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown recogniser {name!r}; available: {sorted(_REGISTRY)}") from None
    return factory(**options)
