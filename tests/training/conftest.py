"""Fixtures for the training tests: labelled synthetic clips and a small, fast model config.

The windows are short (T=16 at 8 fps) and the model tiny so the whole folder trains in
seconds on two shared cores; the shipped default config is exercised in the model tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from videohar.actions.windows import WindowSpec
from videohar.datasets.synthetic import generate_sequence
from videohar.training.dataset import ClipTracks, Segment, TrackSeries, WindowSet, build_windows

ACTIONS = ("walk", "stand", "fall", "hands_up", "run")
SMALL_SPEC = WindowSpec(T=16, fps=8.0)


def synthetic_clips(
    n_per_action: int, seed: int, *, actions=ACTIONS, seconds: float = 3.0, fps: float = 10.0
) -> tuple[list[ClipTracks], list[Segment]]:
    """One clip per sequence, one track per clip, one segment over the whole track."""
    rng = np.random.default_rng(seed)
    clips, segments = [], []
    for i in range(n_per_action):
        for action in actions:
            kps = generate_sequence(action, seconds=seconds, fps=fps, rng=rng)
            clip_id = f"s{seed}-{action}-{i}"
            clips.append(ClipTracks(clip_id, fps, {1: TrackSeries(np.arange(len(kps)), kps)}, group=f"cam{i % 4}"))
            segments.append(Segment(clip_id, 1, 0, len(kps), action))
    return clips, segments


@pytest.fixture(scope="session")
def small_windows() -> tuple[WindowSet, WindowSet]:
    """(train, held-out) windows from disjoint generated sequences."""
    train_clips, train_segs = synthetic_clips(16, seed=1)
    test_clips, test_segs = synthetic_clips(6, seed=2)
    train = build_windows(train_clips, train_segs, ACTIONS, spec=SMALL_SPEC, stride_s=0.5)
    test = build_windows(test_clips, test_segs, ACTIONS, spec=SMALL_SPEC, stride_s=1.0)
    return train, test


@pytest.fixture(scope="session")
def tiny_config():
    from videohar.training.stgcn import ModelConfig
    from videohar.training.train import TrainConfig

    model = ModelConfig(base_channels=16, num_stages=4, inflate_stages=(3,), down_stages=(3,), dropout=0.1)
    return TrainConfig(epochs=8, batch_size=32, lr=3e-3, num_threads=1, model=model)


@pytest.fixture(scope="session")
def trained(small_windows, tiny_config):
    """One training run shared by the accuracy, evaluation and export tests."""
    from videohar.training.dataset import split_windows
    from videohar.training.train import train

    train_ws, val_ws = split_windows(small_windows[0], 0.2, by="clip", seed=0)
    return train(tiny_config, train_ws, val_ws)
