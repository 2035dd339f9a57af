"""Held-out evaluation: accuracy, per-class precision / recall / F1, confusion matrix, plots,
and a side-by-side comparison of a new model with the one in service.

Models are anything with `labels` and `score((N, T, V, C)) -> (N, K)`: the inference-side
`OnnxSkeletonModel` (from a path or bytes), or a trained torch module with its labels.
Predictions are matched to the windows' labels by name, so models with different label
sets are compared fairly on the same windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from videohar.training.dataset import WindowSet


class Classifier(Protocol):
    labels: tuple[str, ...]

    def score(self, windows: np.ndarray) -> np.ndarray: ...


class TorchClassifier:
    """A torch module (N, C, T, V) -> logits, seen through the `Classifier` interface."""

    def __init__(self, module: Any, labels: Sequence[str], spec: Any = None) -> None:
        self.module = module
        self.labels = tuple(labels)
        self.spec = spec

    def score(self, windows: np.ndarray) -> np.ndarray:
        from videohar.training.train import predict_logits  # torch only when a torch model is used

        return predict_logits(self.module, np.asarray(windows, dtype=np.float32))


def as_classifier(model: Any, labels: Sequence[str] | None = None) -> Classifier:
    """ONNX path / bytes, a `TrainResult`, a torch module (with labels) or a Classifier."""
    if isinstance(model, str | Path | bytes):
        from videohar.actions.onnx_model import OnnxSkeletonModel

        return OnnxSkeletonModel(model)
    if hasattr(model, "score") and hasattr(model, "labels"):
        return model
    if hasattr(model, "model") and hasattr(model, "labels") and hasattr(model, "spec"):  # TrainResult
        return TorchClassifier(model.model, model.labels, model.spec)
    if labels is None:
        raise ValueError("a torch module needs its labels")
    return TorchClassifier(model, labels)


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class EvalReport:
    labels: tuple[str, ...]
    """True labels (confusion rows)."""
    predicted_labels: tuple[str, ...]
    """Confusion columns: the windows' labels, then any model label the dataset lacks."""
    confusion: tuple[tuple[int, ...], ...]
    accuracy: float
    macro_f1: float
    per_class: tuple[ClassMetrics, ...]
    n: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["confusion"] = [list(row) for row in self.confusion]
        return d


def report_from_predictions(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    labels: Sequence[str],
    predicted_labels: Sequence[str] | None = None,
) -> EvalReport:
    """Metrics from label indices (y_pred indexes `predicted_labels`, default `labels`)."""
    labels = tuple(labels)
    predicted_labels = tuple(predicted_labels or labels)
    if predicted_labels[: len(labels)] != labels:
        raise ValueError("predicted_labels must start with the true labels")
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D and the same length")
    k, kp = len(labels), len(predicted_labels)
    if len(y_true) and (y_true.min() < 0 or y_true.max() >= k or y_pred.min() < 0 or y_pred.max() >= kp):
        raise ValueError("label index out of range")
    confusion = np.zeros((k, kp), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion[:, :k]).astype(np.float64)
    predicted = confusion.sum(axis=0)[:k].astype(np.float64)
    support = confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    present = support > 0
    return EvalReport(
        labels=labels,
        predicted_labels=predicted_labels,
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
        accuracy=float(tp.sum() / max(len(y_true), 1)),
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        per_class=tuple(
            ClassMetrics(labels[i], float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i in range(k)
        ),
        n=len(y_true),
    )


def evaluate(model: Any, windows: WindowSet, labels: Sequence[str] | None = None) -> EvalReport:
    """Score `model` on `windows`; see `as_classifier` for what `model` may be."""
    if len(windows) == 0:
        raise ValueError("no windows to evaluate on")
    clf = as_classifier(model, labels)
    spec = getattr(clf, "spec", None)
    if spec is not None and (spec.T, spec.fps, spec.normalisation) != (
        windows.spec.T,
        windows.spec.fps,
        windows.spec.normalisation,
    ):
        raise ValueError(f"model expects windows {spec}, the evaluation windows are {windows.spec}")
    scores = np.asarray(clf.score(windows.x))
    if scores.shape != (len(windows), len(clf.labels)):
        raise ValueError(f"model returned scores {scores.shape} for {len(windows)} windows, {len(clf.labels)} labels")
    extra = tuple(name for name in clf.labels if name not in windows.labels)
    columns = windows.labels + extra
    column = {name: i for i, name in enumerate(columns)}
    mapping = np.asarray([column[name] for name in clf.labels])
    return report_from_predictions(windows.y, mapping[scores.argmax(axis=1)], windows.labels, columns)


@dataclass(frozen=True, slots=True)
class Comparison:
    new: EvalReport
    old: EvalReport
    accuracy_delta: float
    macro_f1_delta: float
    f1_delta: dict[str, float]
    new_is_better: bool
    """By macro F1 (robust to class imbalance), ties broken by accuracy."""

    def to_dict(self) -> dict:
        return {
            "new": self.new.to_dict(),
            "old": self.old.to_dict(),
            "accuracy_delta": self.accuracy_delta,
            "macro_f1_delta": self.macro_f1_delta,
            "f1_delta": self.f1_delta,
            "new_is_better": self.new_is_better,
        }


def compare(new_model: Any, old_model: Any, windows: WindowSet) -> Comparison:
    """Both models on the same held-out windows."""
    new = evaluate(new_model, windows)
    old = evaluate(old_model, windows)
    f1_delta = {a.label: a.f1 - b.f1 for a, b in zip(new.per_class, old.per_class, strict=True)}
    return Comparison(
        new=new,
        old=old,
        accuracy_delta=new.accuracy - old.accuracy,
        macro_f1_delta=new.macro_f1 - old.macro_f1,
        f1_delta=f1_delta,
        new_is_better=(new.macro_f1, new.accuracy) > (old.macro_f1, old.accuracy),
    )


def _figure(width: float, height: float):  # no pyplot: no global backend state in a library
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_confusion(report: EvalReport, path: str | Path) -> Path:
    """Row-normalised confusion matrix with counts, as PNG."""
    counts = np.asarray(report.confusion, dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = 2.5 + 0.55 * max(len(report.predicted_labels), len(report.labels))
    fig = _figure(size + 1, size)
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
    ax.set_xticks(range(len(report.predicted_labels)), report.predicted_labels, rotation=45, ha="right")
    ax.set_yticks(range(len(report.labels)), report.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"accuracy {report.accuracy:.3f}, macro F1 {report.macro_f1:.3f} (n={report.n})")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color=colour, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)


def plot_curves(history: Sequence[Any], path: str | Path) -> Path:
    """Training / validation loss and validation accuracy per epoch (EpochStats or dicts), as PNG."""
    rows = [h if isinstance(h, dict) else asdict(h) for h in history]
    if not rows:
        raise ValueError("no epochs to plot")
    epochs = [r["epoch"] for r in rows]
    fig = _figure(9, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], marker="o", label="train")
    val_loss = [r["val_loss"] for r in rows]
    if any(v is not None for v in val_loss):
        ax_loss.plot(epochs, [np.nan if v is None else v for v in val_loss], marker="o", label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    val_acc = [np.nan if r["val_accuracy"] is None else r["val_accuracy"] for r in rows]
    ax_acc.plot(epochs, val_acc, marker="o", color="tab:green")
    ax_acc.set_ylim(0, 1)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy")
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)
