"""Fixtures for pose tests: one shared MoveNet interpreter and the demo clip's frames."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from videohar.vision.pose.movenet import MoveNetModel

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def movenet_model() -> MoveNetModel:
    return MoveNetModel(threads=2)


@pytest.fixture(scope="session")
def walkway_reference() -> dict[str, list[list[float]]]:
    return json.loads((DATA / "walkway_people.json").read_text())["frames"]


@pytest.fixture(scope="session")
def walkway_frames(demo_clip: Path) -> list[np.ndarray]:
    """The first 61 frames of the demo clip (reference frames 0, 10, …, 60)."""
    cap = cv2.VideoCapture(str(demo_clip))
    frames = []
    while len(frames) < 61:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == 61
    return frames


@pytest.fixture(scope="session")
def pose_image() -> Callable[[str], np.ndarray]:
    """Loader for the test photos in `data/` (BGR)."""

    def load(name: str) -> np.ndarray:
        frame = cv2.imread(str(DATA / name))
        assert frame is not None, name
        return frame

    return load
