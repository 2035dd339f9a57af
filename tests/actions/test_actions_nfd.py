"""The packaged NFD fall head on its own input format and fused with geometry."""

import numpy as np
import pytest

from videohar.actions.nfd import NFD_FEATURES, NFD_SEQUENCE, NFDFallRecogniser, NFDModel, nfd_features
from videohar.actions.windows import SkeletonBuffer
from videohar.datasets.synthetic import generate_people


@pytest.fixture(scope="module")
def model() -> NFDModel:
    return NFDModel()


def test_feature_layout_and_ranges() -> None:
    people = generate_people("walk", seconds=2, fps=10, rng=np.random.default_rng(0))
    kps = np.stack([p.keypoints for p in people])
    boxes = np.stack([p.box for p in people])
    feats = nfd_features(kps, boxes, (768, 576))
    assert feats.shape == (20, NFD_FEATURES) and feats.dtype == np.float32
    assert np.abs(feats[:, :34]).max() <= 2.0
    np.testing.assert_allclose(feats[:, 34:51], np.clip(kps[:, :, 2], 0, 1))
    box = boxes[0] / [768, 576, 768, 576]
    w, h = box[2] - box[0], box[3] - box[1]
    np.testing.assert_allclose(feats[0, 51:56], [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, w, h, w / h], rtol=1e-5)
    np.testing.assert_allclose(feats[0, 57], kps[0, [11, 12], 1].mean() / 576, rtol=1e-5)  # hips
    np.testing.assert_allclose(feats[0, 59], (kps[0, :, 2] >= 0.15).mean())
    # Keypoint x of joint 0 relative to the box centre over box width.
    np.testing.assert_allclose(feats[0, 0], (kps[0, 0, 0] / 768 - (box[0] + box[2]) / 2) / w, rtol=1e-4)
    assert ((feats[:, 51:59] >= 0) & (feats[:, 51:59] <= 5)).all()


def test_model_input_contract(model: NFDModel) -> None:
    probs = model.predict(np.zeros((3, NFD_SEQUENCE, NFD_FEATURES), np.float32))
    assert probs.shape == (3, 4) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert model.predict(np.zeros((0, NFD_SEQUENCE, NFD_FEATURES))).shape == (0, 4)
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((1, 16, NFD_FEATURES)))
    with pytest.raises(ValueError, match="keypoints"):
        nfd_features(np.zeros((5, 17, 2)), np.zeros((5, 4)), (768, 576))


def _run(recogniser: NFDFallRecogniser, action: str, seed: int, context) -> tuple[float, np.ndarray]:
    people = generate_people(action, seconds=6, fps=10, rng=np.random.default_rng(seed), camera_tilt=20)
    buffer = SkeletonBuffer()
    fall, peak = 0.0, np.zeros(4)
    for index, person in enumerate(people):
        buffer.push(index / 10, person)
        fall = max(fall, recogniser.update(index / 10, {1: buffer}, context)[1]["fall"])
        peak = np.maximum(peak, list(recogniser.probabilities[1].values()))
    recogniser.forget(1)
    return fall, peak


def test_generated_fall_vs_walk(model: NFDModel, context) -> None:
    recogniser = NFDFallRecogniser()
    recogniser.model = model
    falls = [_run(recogniser, "fall", seed, context) for seed in range(12)]
    walks = [_run(recogniser, "walk", seed, context) for seed in range(12)]
    assert sum(f for f, _ in falls) >= 10
    assert sum(f for f, _ in walks) == 0
    # The head itself: P(fallen) peaks clearly higher on falls than on walks.
    assert np.median([p[2] for _, p in falls]) > 3 * np.median([p[2] for _, p in walks])


def test_histories_batch_over_tracks(context) -> None:
    recogniser = NFDFallRecogniser()
    buffers = {}
    for track in (1, 2, 3):
        buffers[track] = SkeletonBuffer()
        for index, person in enumerate(
            generate_people("walk", seconds=1 + track, fps=12, rng=np.random.default_rng(track))
        ):
            buffers[track].push(index / 12, person)
    histories = recogniser.histories(list(buffers.values()), (768, 576))
    assert histories.shape == (3, NFD_SEQUENCE, NFD_FEATURES)
    # Short tracks are left-padded with their first observation, as NFD does.
    np.testing.assert_allclose(histories[0, 0], histories[0, 1])
    scores = recogniser.update(3.0, buffers, context)
    assert set(scores) == {1, 2, 3} and set(recogniser.probabilities) == {1, 2, 3}
