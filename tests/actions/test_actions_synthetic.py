"""The procedural skeleton generator: shapes, determinism, plausibility, separable actions."""

import numpy as np
import pytest

from videohar.actions.windows import WindowSpec, normalise_window
from videohar.datasets.synthetic import ACTIONS, generate_people, generate_sequence


def test_shapes_ranges_and_determinism() -> None:
    for action in ACTIONS:
        kps = generate_sequence(action, seconds=2, fps=16, rng=np.random.default_rng(1))
        assert kps.shape == (32, 17, 3) and kps.dtype == np.float32
        assert (kps[:, :, 0] >= 0).all() and (kps[:, :, 0] <= 767).all()
        assert (kps[:, :, 1] >= 0).all() and (kps[:, :, 1] <= 575).all()
        assert ((kps[:, :, 2] >= 0) & (kps[:, :, 2] <= 1)).all()
        again = generate_sequence(action, seconds=2, fps=16, rng=np.random.default_rng(1))
        np.testing.assert_array_equal(kps, again)
    people = generate_people("walk", seconds=1, fps=10, rng=np.random.default_rng(0))
    assert len(people) == 10 and people[0].box.shape == (4,)


def test_upright_people_have_the_requested_height() -> None:
    kps = generate_sequence(
        "stand", seconds=1, fps=10, rng=np.random.default_rng(0), person_height_px=120.0, noise=0, drop_rate=0
    )
    height = np.ptp(kps[:, :, 1], axis=1)
    assert np.all(np.abs(height - 120 * 0.97) < 12)  # nose to ankles ~ body height


def test_actions_are_separable_by_a_nearest_centroid_classifier() -> None:
    """A crude check that labels carry signal: centroids of normalised windows classify held-out ones."""
    spec = WindowSpec(T=32, fps=8)

    def feats(action: str, seed: int) -> np.ndarray:
        kps = generate_sequence(action, seconds=4, fps=8, rng=np.random.default_rng(seed), camera_tilt=25)
        window = normalise_window(kps, spec)
        motion = np.abs(np.diff(window[:, :, :2], axis=0)).mean(axis=0).ravel()
        return np.concatenate([window[:, :, :2].mean(axis=0).ravel(), window[-8:, :, :2].mean(axis=0).ravel(), motion])

    train = {a: np.mean([feats(a, s) for s in range(12)], axis=0) for a in ACTIONS}
    correct = 0
    total = 0
    for action in ACTIONS:
        for seed in range(100, 106):
            f = feats(action, seed)
            guess = min(train, key=lambda a: np.linalg.norm(f - train[a]))
            correct += guess == action
            total += 1
    assert correct / total >= 0.6, correct / total  # chance is 1/8


def test_bad_arguments() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown action"):
        generate_sequence("juggle", rng=rng)
    with pytest.raises(ValueError, match="> 0"):
        generate_sequence("walk", seconds=0, rng=rng)
    with pytest.raises(ValueError, match="image_size"):
        generate_sequence("walk", rng=rng, image_size=(0, 10))
