"""Generic trained skeleton models: ONNX graphs built here with the onnx helper API."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from videohar.actions import create_recogniser
from videohar.actions.onnx_model import ModelSpecError, OnnxSkeletonModel
from videohar.actions.windows import SkeletonBuffer, WindowSpec, normalise_window
from videohar.datasets.synthetic import generate_people

LABELS = ["low", "high", "wide"]


def _model(
    layout: str = "NCTV",
    *,
    output: str = "logits",
    batch: int | str = "N",
    spec: dict | None = None,
    metadata: bool = True,
) -> bytes:
    """Mean over everything but channels, then a 3x3 linear map: logits = W @ mean(x, y, score)."""
    dims = {
        "NCTV": [batch, 3, 48, 17],
        "NTVC": [batch, 48, 17, 3],
        "NMTVC": [batch, 2, 48, 17, 3],
        "NCTVM": [batch, 3, 48, 17, 2],
    }[layout]
    channel_axis = {"NCTV": 1, "NTVC": 3, "NMTVC": 4, "NCTVM": 1}[layout]
    axes = [a for a in range(1, len(dims)) if a != channel_axis]
    weights = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32) * 10
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
        helper.make_node("MatMul", ["m", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])],
        initializer=[numpy_helper.from_array(np.array(axes, np.int64), "axes"), numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    if metadata:
        declared = {
            "T": 48,
            "V": 17,
            "C": 3,
            "fps": 16,
            "normalisation": "midhip_torso",
            "layout": layout,
            "M": 2 if "M" in layout else 1,
            "labels": LABELS,
            "output": output,
        }
        declared.update(spec or {})
        helper.set_model_props(model, {"videohar_spec": json.dumps(declared)})
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _windows(n: int) -> np.ndarray:
    spec = WindowSpec()
    out = []
    for seed in range(n):
        buffer = SkeletonBuffer()
        for index, person in enumerate(generate_people("walk", seconds=3.2, fps=16, rng=np.random.default_rng(seed))):
            buffer.push(index / 16, person)
        out.append(normalise_window(buffer.window(spec), spec))
    return np.stack(out)


def _expected(windows: np.ndarray, persons: int = 1) -> np.ndarray:
    means = windows.mean(axis=(1, 2)) / persons  # zero-padded extra persons dilute the mean
    logits = means * 10
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("layout", ["NCTV", "NTVC", "NMTVC", "NCTVM"])
def test_layouts_softmax_and_batching(layout: str) -> None:
    recogniser = OnnxSkeletonModel(_model(layout))
    assert recogniser.labels == tuple(LABELS) and recogniser.spec == WindowSpec()
    windows = _windows(3)
    scores = recogniser.score(windows)
    np.testing.assert_allclose(scores, _expected(windows, 2 if "M" in layout else 1), rtol=1e-4, atol=1e-6)


def test_update_over_tracks_from_path(tmp_path, context) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(_model(output="probabilities"))
    recogniser = create_recogniser("onnx", model=path)
    buffers = {}
    for track, seconds in ((1, 3.0), (2, 1.0)):  # track 2: not enough history yet
        buffers[track] = SkeletonBuffer()
        for index, person in enumerate(
            generate_people("stand", seconds=seconds, fps=10, rng=np.random.default_rng(track))
        ):
            buffers[track].push(index / 10, person)
    scores = recogniser.update(3.0, buffers, context)
    assert list(scores) == [1] and set(scores[1]) == set(LABELS)
    assert all(0.0 <= v <= 1.0 for v in scores[1].values())  # probabilities are clipped, not softmaxed


def test_fixed_batch_export_runs_in_chunks() -> None:
    recogniser = OnnxSkeletonModel(_model(batch=1))
    windows = _windows(3)
    np.testing.assert_allclose(recogniser.score(windows), _expected(windows), rtol=1e-4, atol=1e-6)


def test_bad_models_raise_clear_errors() -> None:
    with pytest.raises(ModelSpecError, match="no 'videohar_spec'"):
        OnnxSkeletonModel(_model(metadata=False))
    with pytest.raises(ModelSpecError, match="layout"):
        OnnxSkeletonModel(_model(spec={"layout": "NVTC"}))
    with pytest.raises(ModelSpecError, match="labels"):
        OnnxSkeletonModel(_model(spec={"labels": []}))
    with pytest.raises(ModelSpecError, match="rank"):
        OnnxSkeletonModel(_model("NCTV", spec={"layout": "NMTVC"}))
    with pytest.raises(ModelSpecError, match="normalisation"):
        OnnxSkeletonModel(_model(spec={"normalisation": "zscore"}))
    with pytest.raises(ModelSpecError, match="cannot load"):
        OnnxSkeletonModel(b"not an onnx file")
    recogniser = OnnxSkeletonModel(_model(spec={"labels": ["a", "b"]}))
    with pytest.raises(ModelSpecError, match="3 scores for 2 labels"):
        recogniser.score(_windows(1))
    with pytest.raises(ValueError, match="unknown recogniser"):
        create_recogniser("posec3d")
