import numpy as np
import pytest

from videohar.actions.windows import SkeletonBuffer, WindowSpec, normalise_window
from videohar.vision.types import Person


def _person(x: float, y: float, score: float = 0.9) -> Person:
    keypoints = np.zeros((17, 3), np.float32)
    keypoints[:, 0] = x + np.arange(17)
    keypoints[:, 1] = y + 2 * np.arange(17)
    keypoints[:, 2] = score
    return Person(box=(x, y, x + 20, y + 40), score=score, keypoints=keypoints)


def test_resampling_irregular_times_is_linear() -> None:
    spec = WindowSpec(T=16, fps=8.0)
    buffer = SkeletonBuffer(keep_seconds=4.0)
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.03, 0.3, 40))
    for t in times:
        buffer.push(t, _person(10.0 * t, 5.0 * t))  # constant velocity: interpolation is exact
    window = buffer.window(spec)
    assert window is not None and window.shape == (16, 17, 3) and window.dtype == np.float32
    expected_t = times[-1] - np.arange(15, -1, -1) / 8.0
    np.testing.assert_allclose(window[:, 0, 0], 10.0 * expected_t, atol=1e-3)
    np.testing.assert_allclose(window[:, 3, 1], 5.0 * expected_t + 6.0, atol=1e-3)
    assert np.allclose(np.diff(expected_t), 1 / 8.0)


def test_window_needs_history_then_pads_start() -> None:
    spec = WindowSpec(T=48, fps=16.0)  # 2.94 s
    buffer = SkeletonBuffer()
    assert buffer.window(spec) is None
    for i in range(20):  # 1.9 s at 10 fps: < 75 % of the window
        buffer.push(i / 10, _person(i, 0))
    assert buffer.window(spec) is None
    for i in range(20, 25):
        buffer.push(i / 10, _person(i, 0))
    window = buffer.window(spec)
    assert window is not None
    np.testing.assert_allclose(window[:5, 0, 0], 0.0)  # before the first observation: held
    assert window[-1, 0, 0] == pytest.approx(24.0)


def test_buffer_forgets_old_observations_and_grows() -> None:
    buffer = SkeletonBuffer(keep_seconds=1.0, capacity=4)
    for i in range(100):
        buffer.push(i * 0.05, _person(i, 0))
    assert buffer.times[0] >= 99 * 0.05 - 1.05 and len(buffer) <= 22
    assert buffer.last_time == pytest.approx(4.95)


def test_bad_inputs_raise_clear_errors() -> None:
    buffer = SkeletonBuffer()
    buffer.push(1.0, _person(0, 0))
    with pytest.raises(ValueError, match="backwards"):
        buffer.push(0.5, _person(0, 0))
    with pytest.raises(ValueError, match="finite"):
        buffer.push(float("nan"), _person(0, 0))
    bad = _person(0, 0)
    bad.keypoints[3, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        buffer.push(2.0, bad)
    with pytest.raises(ValueError, match="V must be 17"):
        WindowSpec(V=18)
    with pytest.raises(ValueError, match="normalisation"):
        WindowSpec(normalisation="zscore")
    with pytest.raises(ValueError, match="exceeds keep_seconds"):
        SkeletonBuffer(keep_seconds=1.0).window(WindowSpec())
    with pytest.raises(ValueError, match="shape"):
        normalise_window(np.zeros((10, 17, 3)), WindowSpec())
    with pytest.raises(ValueError, match="NaN"):
        normalise_window(np.full((48, 17, 3), np.nan), WindowSpec())


def test_normalise_window_centre_scale_and_weak_joints() -> None:
    spec = WindowSpec(T=4)
    kps = np.zeros((4, 17, 3), np.float32)
    kps[:, :, 2] = 0.9
    for f in range(4):
        kps[f, [11, 12], :2] = [[100 + f, 300], [120 + f, 300]]  # mid-hip (110 + f, 300)
        kps[f, [5, 6], :2] = [[100 + f, 250], [120 + f, 250]]  # torso 50 px
        kps[f, 0, :2] = [110 + f, 200]
    kps[2, 0, 2] = 0.1  # a weak nose
    out = normalise_window(kps, spec)
    np.testing.assert_allclose(out[:, 11, :2], [[-0.2, 0.0]] * 4, atol=1e-6)
    np.testing.assert_allclose(out[[0, 1, 3], 0, :2], [[0.0, -2.0]] * 3, atol=1e-6)
    assert (out[2, 0] == 0).all()  # weak joint zeroed, score channel too
    np.testing.assert_allclose(out[0, 5, 2], 0.9)
    # Scale/translation invariance: the same pose twice as large elsewhere normalises the same.
    moved = kps.copy()
    moved[:, :, :2] = moved[:, :, :2] * 2 + 37
    np.testing.assert_allclose(normalise_window(moved, spec), out, atol=1e-5)


def test_normalise_window_robust_to_missing_hips_and_empty() -> None:
    spec = WindowSpec(T=6)
    kps = np.zeros((6, 17, 3), np.float32)
    kps[:, :, 2] = 0.8
    kps[:, [5, 6], 1] = 100
    kps[:, [11, 12], 1] = 160
    kps[:, [5, 11], 0] = 50
    kps[:, [6, 12], 0] = 70
    kps[3, [11, 12], 2] = 0.0  # hips lost in one frame: centre interpolated from neighbours
    out = normalise_window(kps, spec)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[3, 5, :2], out[2, 5, :2], atol=1e-6)
    assert not normalise_window(np.zeros((6, 17, 3), np.float32), spec).any()
