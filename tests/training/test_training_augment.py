"""Augmentations: geometry they must preserve, left/right flipping, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from videohar.training.augment import (
    NO_AUGMENT,
    AugmentConfig,
    add_noise,
    augment_batch,
    drop_joints,
    flip,
    rotate,
    temporal_crop_resize,
)
from videohar.training.graph import GRAPH_EDGES
from videohar.vision.types import COCO17

L_WRIST, R_WRIST = COCO17.index("left_wrist"), COCO17.index("right_wrist")


def _windows(n=4, t=12, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, t, 17, 3)).astype(np.float32)
    x[..., 2] = rng.uniform(0.3, 1.0, (n, t, 17))
    x[rng.random((n, t, 17)) < missing] = 0.0
    return x


def _bone_lengths(x):
    return np.stack([np.linalg.norm(x[..., a, :2] - x[..., b, :2], axis=-1) for a, b in GRAPH_EDGES], -1)


def test_flip_mirrors_x_swaps_left_right_and_is_an_involution():
    x = _windows()
    f = flip(x)
    np.testing.assert_array_equal(f[..., L_WRIST, 0], -x[..., R_WRIST, 0])
    np.testing.assert_array_equal(f[..., L_WRIST, 1:], x[..., R_WRIST, 1:])
    np.testing.assert_array_equal(f[..., 0, 0], -x[..., 0, 0])  # the nose stays the nose
    np.testing.assert_array_equal(flip(f), x)
    missing = f[f[..., 2] == 0]
    assert len(missing) and np.all(missing == 0) and not np.signbit(missing).any()  # +0.0, not -0.0


def test_rotation_preserves_bone_lengths_and_missing_joints():
    x = _windows()
    r = rotate(x, np.deg2rad([10, -30, 90, 180]))
    np.testing.assert_allclose(_bone_lengths(r), _bone_lengths(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(r[..., 2], x[..., 2])
    assert np.all(r[x[..., 2] == 0] == 0)
    assert not np.allclose(r[1:, ..., :2], x[1:, ..., :2])


def test_temporal_crop_resize_keeps_length_and_order():
    x = np.zeros((1, 10, 17, 3), np.float32)
    x[0, :, :, 0] = np.arange(10)[:, None] + 1
    y = temporal_crop_resize(x, [2], [5])
    assert y.shape == x.shape
    frames = y[0, :, 0, 0] - 1
    assert frames.min() == 2 and frames.max() == 6
    assert np.all(np.diff(frames) >= 0)
    np.testing.assert_array_equal(temporal_crop_resize(x, [0], [10]), x)
    with pytest.raises(ValueError, match="inside the window"):
        temporal_crop_resize(x, [8], [5])


def test_joint_dropout_and_noise_touch_only_what_they_should():
    x = _windows(missing=0.0)
    mask = np.zeros((4, 17), bool)
    mask[:, L_WRIST] = True
    d = drop_joints(x, mask)
    assert np.all(d[:, :, L_WRIST] == 0)
    np.testing.assert_array_equal(np.delete(d, L_WRIST, axis=2), np.delete(x, L_WRIST, axis=2))
    noisy = add_noise(d, 0.05, np.random.default_rng(0))
    assert np.all(noisy[:, :, L_WRIST] == 0)
    assert 0.03 < np.std(noisy[..., :2] - d[..., :2]) < 0.07


def test_augment_batch_is_seeded_and_keeps_shape():
    x = _windows(n=8, t=16)
    a = augment_batch(x, np.random.default_rng(5), AugmentConfig())
    b = augment_batch(x, np.random.default_rng(5), AugmentConfig())
    c = augment_batch(x, np.random.default_rng(6), AugmentConfig())
    assert a.shape == x.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(augment_batch(x, np.random.default_rng(0), NO_AUGMENT), x)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"\(B, T, V, 3\)"):
        flip(np.zeros((16, 17, 3)))
