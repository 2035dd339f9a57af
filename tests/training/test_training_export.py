"""ONNX export (parity, metadata, dynamic batch, atomic write) and evaluation / comparison."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch

from videohar.actions.onnx_model import SPEC_KEY, OnnxSkeletonModel
from videohar.actions.windows import WindowSpec
from videohar.training.evaluate import (
    TorchClassifier,
    compare,
    evaluate,
    plot_confusion,
    plot_curves,
    report_from_predictions,
)
from videohar.training.export import ExportParityError, export_onnx, onnx_bytes
from videohar.training.stgcn import STGCNPlusPlus
from videohar.training.train import predict_logits

from .conftest import ACTIONS, SMALL_SPEC


@pytest.fixture(scope="module")
def exported(trained, small_windows, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    result = export_onnx(trained.model, trained.labels, path, spec=trained.spec, check_windows=small_windows[1].x[:6])
    return result


def test_export_matches_pytorch_and_declares_its_spec(exported, trained, small_windows):
    assert exported.max_abs_diff < 1e-4
    proto = onnx.load(exported.path)
    assert proto.opset_import[0].version >= 17
    meta = {p.key: p.value for p in proto.metadata_props}
    spec = json.loads(meta[SPEC_KEY])
    assert spec | {"labels": None} == spec | {
        "T": 16, "V": 17, "C": 3, "fps": 8.0, "normalisation": "midhip_torso", "layout": "NCTV",
        "output": "logits", "labels": None,
    }  # fmt: skip
    assert spec["labels"] == list(ACTIONS)
    assert not list(exported.path.parent.glob("*.tmp"))

    loaded = OnnxSkeletonModel(exported.path)  # the workers' loader
    assert loaded.labels == ACTIONS and loaded.spec == SMALL_SPEC and loaded.fixed_batch is None
    x = small_windows[1].x[:10]
    logits = predict_logits(trained.model, x)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loaded.score(x), probabilities, atol=1e-5)
    np.testing.assert_allclose(loaded.score(x[:1]), probabilities[:1], atol=1e-5)


def test_default_model_exports_for_the_real_window_spec(tmp_path):
    torch.manual_seed(0)
    model = STGCNPlusPlus(8)
    model.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        model(torch.randn(8, 3, 48, 17))
    result = export_onnx(model, [f"a{i}" for i in range(8)], tmp_path / "default.onnx")
    assert result.max_abs_diff < 1e-4
    assert json.loads(result.spec_json)["T"] == 48


def test_export_refuses_mismatched_labels_and_failed_parity(trained, tmp_path):
    with pytest.raises(ValueError, match="5 outputs but 2 labels"):
        export_onnx(trained.model, ["a", "b"], tmp_path / "x.onnx", spec=SMALL_SPEC)
    with pytest.raises(ExportParityError):
        export_onnx(trained.model, ACTIONS, tmp_path / "y.onnx", spec=SMALL_SPEC, tolerance=-1.0)
    with pytest.raises(ValueError, match="opset"):
        export_onnx(trained.model, ACTIONS, tmp_path / "z.onnx", spec=SMALL_SPEC, opset=13)
    assert not list(tmp_path.iterdir())  # nothing written, no temp files left


def test_onnx_and_torch_evaluate_the_same_and_compare_against_a_worse_model(exported, trained, small_windows):
    held_out = small_windows[1]
    via_onnx = evaluate(exported.path, held_out)
    via_torch = evaluate(trained, held_out)
    in_memory = onnx_bytes(trained.model, ACTIONS, spec=SMALL_SPEC)  # what a registry stores
    via_bytes = evaluate(in_memory.data, held_out)
    assert via_onnx.confusion == via_torch.confusion == via_bytes.confusion
    assert sum(map(sum, via_onnx.confusion)) == len(held_out)

    untrained = STGCNPlusPlus(5, trained.config.model).eval()
    result = compare(exported.path, TorchClassifier(untrained, ACTIONS, SMALL_SPEC), held_out)
    assert result.new_is_better and result.accuracy_delta > 0
    assert set(result.f1_delta) == set(ACTIONS)
    json.dumps(result.to_dict())


def test_models_with_other_label_sets_or_window_specs(trained, small_windows):
    held_out = small_windows[1]
    other_labels = ("walk", "stand", "fall", "hands_up", "jump")  # "run" unknown to this model
    report = evaluate(TorchClassifier(trained.model, other_labels), held_out)
    assert report.predicted_labels == (*ACTIONS, "jump")
    assert report.per_class[ACTIONS.index("run")].recall == 0.0
    with pytest.raises(ValueError, match="model expects windows"):
        evaluate(TorchClassifier(trained.model, ACTIONS, WindowSpec()), held_out)
    with pytest.raises(ValueError, match="needs its labels"):
        evaluate(trained.model, held_out)


def test_metrics_and_plots(tmp_path, trained):
    report = report_from_predictions([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"])
    assert report.accuracy == pytest.approx(0.6)
    a, b, c = report.per_class
    assert (a.precision, a.recall) == (pytest.approx(0.5), pytest.approx(0.5))
    assert (b.precision, b.recall, b.f1) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    assert (c.f1, c.support) == (0.0, 1)
    assert report.confusion == ((1, 1, 0), (0, 2, 0), (1, 0, 0))
    assert json.loads(json.dumps(report.to_dict()))["confusion"][0] == [1, 1, 0]
    for path in (plot_confusion(report, tmp_path / "cm.png"), plot_curves(trained.history, tmp_path / "c.png")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_torch_export_based_exporter_also_passes_parity(trained, tmp_path):
    """The path PyTorch keeps once its TorchScript exporter is removed (slower: ~15 s)."""
    import onnxscript  # noqa: F401 - the dynamo exporter needs it (the `train` extra installs it)

    result = export_onnx(trained.model, ACTIONS, tmp_path / "d.onnx", spec=SMALL_SPEC, exporter="dynamo")
    assert result.max_abs_diff < 1e-4
    assert OnnxSkeletonModel(result.path).labels == ACTIONS
