"""The pose backend interface and its registry (DESIGN.md §3: backends are plugins chosen by name).

A backend subclasses `PoseBackend` with a `type_key`; defining the class registers it, and
`create_pose_backend(type_key, **options)` builds one, so configuration only names a backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from videohar.vision.types import Person

_REGISTRY: dict[str, type[PoseBackend]] = {}
_ALIASES: dict[str, str] = {"default": "movenet_regions"}


class PoseBackend(ABC):
    """Finds people and their COCO-17 skeletons in one BGR frame.

    >>> backend = create_pose_backend("default")
    >>> people = backend.estimate(frame)  # list[Person], pixel coords of `frame`
    """

    type_key: ClassVar[str] = ""
    input_option: ClassVar[str | None] = None
    """The constructor keyword a camera's `pose_input` (network input size in px) sets; None = no such knob."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type_key:
            if cls.type_key in _REGISTRY:
                raise ValueError(f"pose backend {cls.type_key!r} registered twice")
            _REGISTRY[cls.type_key] = cls

    @property
    def name(self) -> str:
        return self.type_key

    @abstractmethod
    def estimate(self, frame: np.ndarray) -> list[Person]:
        """People in `frame` (BGR uint8 HxWx3), boxes and keypoints in its pixel coordinates."""

    def reset(self) -> None:  # noqa: B027 - optional hook, stateless backends need nothing
        """Forget per-stream state (call when the frame source changes)."""


def check_frame(frame: object) -> np.ndarray:
    """The frame as a BGR uint8 HxWx3 array; a clear ValueError for anything else."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8, got {frame.dtype}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame must be HxWx3 (BGR), got shape {frame.shape}")
    if frame.shape[0] < 8 or frame.shape[1] < 8:
        raise ValueError(f"frame too small: {frame.shape[:2]}")
    return frame


def available_pose_backends() -> list[str]:
    """Names accepted by `create_pose_backend` (aliases included)."""
    _load_plugins()
    return sorted({*_REGISTRY, *_ALIASES})


def create_pose_backend(name: str = "default", input_px: int | None = None, **options: Any) -> PoseBackend:
    """Build the backend registered under `name` with its keyword options.

    `input_px` is the camera-level "pose input size" knob; each backend maps it to its own option
    (`input_option`), so settings need not know how a backend sizes its network input.
    """
    _load_plugins()
    key = _ALIASES.get(name, name)
    try:
        factory: type[PoseBackend] = _REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown pose backend {name!r}; known: {available_pose_backends()}") from None
    if input_px is not None:
        if factory.input_option is None:
            raise ValueError(f"pose backend {name!r} has no input size to set")
        options[factory.input_option] = int(input_px)
    build: Callable[..., PoseBackend] = factory
    return build(**options)


def _load_plugins() -> None:
    """Import the bundled backends so their classes register themselves."""
    from videohar.vision.pose import movenet, regions  # noqa: F401
