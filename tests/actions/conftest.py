"""Fixtures for the action tests: feed generated people through a recogniser."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from videohar.actions.base import Recogniser, RecogniserContext
from videohar.actions.windows import SkeletonBuffer
from videohar.datasets.synthetic import generate_people

CONTEXT = RecogniserContext("cam-test", (768, 576))


def _max_scores(
    recogniser: Recogniser, action: str, seed: int, *, seconds: float = 6.0, fps: float = 10.0, **options
) -> dict[str, float]:
    people = generate_people(action, seconds=seconds, fps=fps, rng=np.random.default_rng(seed), **options)
    buffer = SkeletonBuffer()
    peaks: dict[str, float] = {}
    for index, person in enumerate(people):
        t = index / fps
        buffer.push(t, person)
        for label, value in recogniser.update(t, {1: buffer}, CONTEXT).get(1, {}).items():
            peaks[label] = max(peaks.get(label, 0.0), value)
    recogniser.forget(1)
    return peaks


@pytest.fixture
def peak_scores() -> Callable[..., dict[str, float]]:
    """peak_scores(recogniser, action, seed, seconds=6, fps=10, **generator options) -> label -> peak."""
    return _max_scores


@pytest.fixture
def context() -> RecogniserContext:
    return CONTEXT
