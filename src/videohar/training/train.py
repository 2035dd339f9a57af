"""Training loop: AdamW + cosine schedule, per-epoch progress and checkpoints, resume, cancel.

Every epoch draws its shuffling, augmentation and dropout randomness from (seed, epoch), so a
run resumed from a checkpoint ends with exactly the weights of an uninterrupted run.

    result = train(TrainConfig(epochs=30), train_windows, val_windows,
                   progress_cb=print, should_cancel=job.cancelled, checkpoint_dir=job_dir)
    export_onnx(result.model, result.labels, "model.onnx", spec=result.spec)
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from videohar.actions.windows import WindowSpec
from videohar.training.augment import AugmentConfig, augment_batch
from videohar.training.dataset import WindowSet, class_weights
from videohar.training.stgcn import ModelConfig, STGCNPlusPlus

CHECKPOINT_NAME = "last.pt"
CHECKPOINT_VERSION = 1


class TrainingCancelled(Exception):
    """Raised when `should_cancel()` turns true; the last finished epoch is in the checkpoint."""

    def __init__(self, epochs_completed: int) -> None:
        super().__init__(f"training cancelled after {epochs_completed} epoch(s)")
        self.epochs_completed = epochs_completed


@dataclass(frozen=True, slots=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16
    """Small: datasets from a user's own cameras are hundreds to a few thousand windows, and
    more updates per epoch learn faster there at the same CPU cost per window."""
    lr: float = 1e-3
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    balance: str = "loss"
    """'loss' (class-weighted loss), 'sampler' (class-balanced sampling) or 'none'."""
    seed: int = 0
    num_threads: int = 2
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not self.lr > 0:
            raise ValueError("lr must be > 0")
        if self.balance not in ("loss", "sampler", "none"):
            raise ValueError(f"balance must be 'loss', 'sampler' or 'none', got {self.balance!r}")
        if self.num_threads < 1:
            raise ValueError("num_threads must be >= 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        if "model" in d:
            d["model"] = ModelConfig.from_dict(d["model"])
        if "augment" in d:
            d["augment"] = AugmentConfig.from_dict(d["augment"])
        return cls(**d)


@dataclass(frozen=True, slots=True)
class EpochStats:
    epoch: int
    """1-based number of the finished epoch."""
    epochs: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    eta_s: float


@dataclass(slots=True)
class TrainResult:
    model: STGCNPlusPlus
    """Best epoch's weights (by validation accuracy, then loss), in eval mode."""
    labels: tuple[str, ...]
    spec: WindowSpec
    config: TrainConfig
    history: list[EpochStats]
    best_epoch: int
    best_val_accuracy: float | None
    epochs_completed: int
    resumed_from_epoch: int
    checkpoint_path: Path | None


def _check_inputs(train_ws: WindowSet, val_ws: WindowSet | None) -> None:
    if len(train_ws) == 0:
        raise ValueError("training set is empty")
    if len(np.unique(train_ws.y)) < 2:
        present = sorted({train_ws.labels[i] for i in np.unique(train_ws.y)})
        raise ValueError(
            f"training set needs windows of at least 2 classes, got only {present}: label segments of another "
            "action (of at least one window's length), in more than one clip when you want it validated too"
        )
    if val_ws is not None and (val_ws.labels != train_ws.labels or val_ws.spec != train_ws.spec):
        raise ValueError("validation windows have different labels or window spec than training windows")


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def _to_tensor(x: np.ndarray) -> torch.Tensor:
    """(N, T, V, C) windows -> (N, C, T, V) model input."""
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Logits (N, K) for (N, T, V, C) windows, in eval mode."""
    was_training = model.training
    model.eval()
    out = [model(_to_tensor(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
    model.train(was_training)
    k = getattr(model, "num_classes", 0)
    return np.concatenate(out) if out else np.zeros((0, k), np.float32)


def _atomic_save(obj: object, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint_model(path: str | Path) -> tuple[STGCNPlusPlus, tuple[str, ...], WindowSpec]:
    """Best weights, labels and window spec from a checkpoint written by `train`."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    config = TrainConfig.from_dict(ckpt["config"])
    model = STGCNPlusPlus(len(ckpt["labels"]), config.model)
    model.load_state_dict(ckpt["best"]["state"])
    return model.eval(), tuple(ckpt["labels"]), WindowSpec(**ckpt["spec"])


def train(
    config: TrainConfig,
    windows_train: WindowSet,
    windows_val: WindowSet | None,
    progress_cb: Callable[[EpochStats], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    checkpoint_dir: str | Path | None = None,
    start_cb: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train a fresh ST-GCN++, or continue the run whose checkpoint is in `checkpoint_dir`.

    A checkpoint made with another config or other data is refused (ValueError) rather than
    silently mixed in. `should_cancel` is polled every batch; cancelling raises
    `TrainingCancelled` and leaves the last finished epoch's checkpoint in place.
    `start_cb(epoch)` is called once before the first epoch runs, with the number of epochs
    already done (0 for a fresh run, k when resuming from a checkpoint of epoch k).
    """
    _check_inputs(windows_train, windows_val)
    if windows_val is not None and len(windows_val) == 0:
        windows_val = None
    torch.set_num_threads(config.num_threads)
    labels = windows_train.labels
    spec = windows_train.spec
    fingerprint = windows_train.fingerprint() + (windows_val.fingerprint() if windows_val else "")

    torch.manual_seed(config.seed)
    model = STGCNPlusPlus(len(labels), config.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    n = len(windows_train)
    steps_per_epoch = math.ceil(n / config.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps_per_epoch)
    weights = class_weights(windows_train.y, len(labels))
    loss_weight = torch.from_numpy(weights) if config.balance == "loss" else None
    criterion = nn.CrossEntropyLoss(weight=loss_weight, label_smoothing=config.label_smoothing)
    sample_p = weights[windows_train.y] / weights[windows_train.y].sum() if config.balance == "sampler" else None

    history: list[EpochStats] = []
    best: dict = {"epoch": 0, "val_accuracy": None, "val_loss": math.inf, "state": None}
    start_epoch = 0
    ckpt_path: Path | None = None
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        ckpt_path = Path(checkpoint_dir) / CHECKPOINT_NAME
        if ckpt_path.exists():
            ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
            if ckpt.get("version") != CHECKPOINT_VERSION or _identity(ckpt["config"]) != _identity(config.to_dict()):
                raise ValueError(f"checkpoint {ckpt_path} was made with another config; use a new directory")
            if ckpt["fingerprint"] != fingerprint or tuple(ckpt["labels"]) != labels:
                raise ValueError(f"checkpoint {ckpt_path} was made on other data; use a new directory")
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            history = [EpochStats(**h) for h in ckpt["history"]]
            best = ckpt["best"]
            start_epoch = ckpt["epoch"]

    if start_cb is not None:
        start_cb(start_epoch)
    x_train = windows_train.x
    y_train = torch.from_numpy(windows_train.y)
    epoch_times: list[float] = []
    for epoch in range(start_epoch, config.epochs):
        began = time.monotonic()
        seed = _epoch_seed(config.seed, epoch)
        rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        order = rng.choice(n, n, p=sample_p) if sample_p is not None else rng.permutation(n)
        model.train()
        total, seen = 0.0, 0
        for i in range(0, n, config.batch_size):
            if should_cancel is not None and should_cancel():
                raise TrainingCancelled(epoch)
            idx = order[i : i + config.batch_size]
            xb = _to_tensor(augment_batch(x_train[idx], rng, config.augment))
            loss = criterion(model(xb), y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
            seen += len(idx)

        val_loss = val_acc = None
        if windows_val is not None:
            logits = torch.from_numpy(predict_logits(model, windows_val.x))
            yv = torch.from_numpy(windows_val.y)
            val_loss = float(nn.functional.cross_entropy(logits, yv))
            val_acc = float((logits.argmax(1) == yv).float().mean())
        improved = (
            best["state"] is None or val_acc is None or (val_acc, -val_loss) > (best["val_accuracy"], -best["val_loss"])
        )
        if improved:
            best = {
                "epoch": epoch + 1,
                "val_accuracy": val_acc,
                "val_loss": val_loss if val_loss is not None else math.inf,
                "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
            }
        epoch_times.append(time.monotonic() - began)
        stats = EpochStats(
            epoch=epoch + 1,
            epochs=config.epochs,
            train_loss=total / max(seen, 1),
            val_loss=val_loss,
            val_accuracy=val_acc,
            lr=float(scheduler.get_last_lr()[0]),
            seconds=epoch_times[-1],
            eta_s=float(np.mean(epoch_times)) * (config.epochs - epoch - 1),
        )
        history.append(stats)
        if ckpt_path is not None:
            _atomic_save(
                {
                    "version": CHECKPOINT_VERSION,
                    "epoch": epoch + 1,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "history": [asdict(h) for h in history],
                    "best": best,
                    "config": config.to_dict(),
                    "labels": list(labels),
                    "spec": _spec_dict(spec),
                    "fingerprint": fingerprint,
                },
                ckpt_path,
            )
        if progress_cb is not None:
            progress_cb(stats)

    model.load_state_dict(best["state"])
    model.eval()
    return TrainResult(
        model=model,
        labels=labels,
        spec=spec,
        config=config,
        history=history,
        best_epoch=best["epoch"],
        best_val_accuracy=best["val_accuracy"],
        epochs_completed=config.epochs,
        resumed_from_epoch=start_epoch,
        checkpoint_path=ckpt_path,
    )


def _identity(config: dict) -> dict:
    """What must match for a checkpoint to be resumed: the config less the thread count, which
    depends on the machine the run continues on, not on what is trained."""
    return {k: v for k, v in config.items() if k != "num_threads"}


def _spec_dict(spec: WindowSpec) -> dict:
    return {k: getattr(spec, k) for k in ("T", "V", "C", "fps", "normalisation", "min_score")}
