"""The `train` job: dataset -> windows (frozen in the job folder, so a resumed run sees the same
data) -> split -> ST-GCN++ training with checkpoints -> ONNX export with parity -> evaluation
artifacts and a comparison with the active model -> a new registry version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from videohar.datasets.labels import LabelError, dataset_windows
from videohar.training.dataset import WindowSet, split_windows
from videohar.training.jobs import JobContext, JobFailed

SIZES = ("tiny", "small", "default")


def model_config(size: str):  # type: ignore[no-untyped-def]
    from videohar.training.stgcn import ModelConfig

    if size == "tiny":
        return ModelConfig(base_channels=16, num_stages=4, inflate_stages=(3,), down_stages=(3,), dropout=0.1)
    if size == "small":
        return ModelConfig(base_channels=24, num_stages=6, inflate_stages=(4,), down_stages=(2, 4))
    return ModelConfig()


def _windows(ctx: JobContext) -> tuple[WindowSet, WindowSet]:
    """Build once per job; later attempts reuse the frozen windows so checkpoints stay valid."""
    train_file, val_file = ctx.work_dir / "train.npz", ctx.work_dir / "val.npz"
    if train_file.is_file() and val_file.is_file():
        return WindowSet.load(train_file), WindowSet.load(val_file)
    from videohar.config import get_settings
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset

    with session_scope() as db:
        dataset = db.get(Dataset, int(ctx.params["dataset_id"]))
        if dataset is None:
            raise JobFailed("the dataset was deleted")
        try:
            windows = dataset_windows(db, get_settings().media_path, dataset)
        except (LabelError, ValueError) as exc:
            raise JobFailed(f"no training data: {exc}") from None
    by = "group" if ctx.params.get("split", "clip") == "camera" else "clip"
    try:
        train_ws, val_ws = split_windows(
            windows, float(ctx.params.get("val_fraction", 0.25)), by=by, seed=int(ctx.params.get("seed", 0))
        )
    except ValueError as exc:
        raise JobFailed(f"cannot split the data without leakage: {exc}") from None
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    train_ws.save(train_file)
    val_ws.save(val_file)
    return train_ws, val_ws


def run_train_job(ctx: JobContext) -> dict[str, Any]:
    try:
        from videohar.training.evaluate import compare, evaluate, plot_confusion, plot_curves
        from videohar.training.export import export_onnx
        from videohar.training.train import TrainConfig, train
    except ImportError as exc:
        raise JobFailed(f"training needs the `train` extra (pip install 'videohar[train]'): {exc}") from None
    from videohar.config import get_settings
    from videohar.db.session import session_scope
    from videohar.training.registry import active_model_id, model_path, register_model

    train_ws, val_ws = _windows(ctx)
    p = ctx.params
    config = TrainConfig(
        epochs=int(p.get("epochs", 30)),
        seed=int(p.get("seed", 0)),
        batch_size=int(p.get("batch_size", 32)),
        lr=float(p.get("lr", 1e-3)),
        model=model_config(p.get("size", "default")),
    )
    ctx.progress(
        stage="training",
        epoch=0,
        epochs=config.epochs,
        train_windows=len(train_ws),
        val_windows=len(val_ws),
        attempt=ctx.attempt,
    )

    def on_epoch(s) -> None:  # type: ignore[no-untyped-def]
        ctx.progress(
            epoch=s.epoch,
            epochs=s.epochs,
            loss=round(s.train_loss, 4),
            val_loss=None if s.val_loss is None else round(s.val_loss, 4),
            val_accuracy=s.val_accuracy,
            eta_s=round(s.eta_s, 1),
            fraction=round(s.epoch / s.epochs, 3),
        )

    try:
        result = train(
            config,
            train_ws,
            val_ws,
            progress_cb=on_epoch,
            should_cancel=ctx.cancelled,
            checkpoint_dir=ctx.work_dir / "checkpoint",
        )
    except ValueError as exc:  # e.g. only one class labelled, or a checkpoint of other data
        raise JobFailed(str(exc)) from None
    ctx.progress(stage="evaluating")
    work: Path = ctx.work_dir
    exported = export_onnx(
        result.model,
        result.labels,
        work / "model.onnx",
        spec=result.spec,
        check_windows=val_ws.x[:8] if len(val_ws) else None,
    )
    report = evaluate(result, val_ws)
    plot_confusion(report, work / "confusion.png")
    plot_curves(result.history, work / "curves.png")
    metrics: dict[str, Any] = {
        **report.to_dict(),
        "best_epoch": result.best_epoch,
        "onnx_parity_max_abs_diff": exported.max_abs_diff,
        "train_windows": len(train_ws),
        "val_windows": len(val_ws),
        "resumed_from_epoch": result.resumed_from_epoch,
        "history": [
            {k: getattr(h, k) for k in ("epoch", "train_loss", "val_loss", "val_accuracy")} for h in result.history
        ],
    }
    media = get_settings().media_path
    camera_id = p.get("compare_camera_id")
    with session_scope() as db:
        from videohar.db.training_models import ActionModel

        current = active_model_id(db, camera_id)
        row = db.get(ActionModel, current) if current is not None else None
        current_file = model_path(media, row) if row is not None else None
    artifacts = {"confusion.png": work / "confusion.png", "curves.png": work / "curves.png"}
    if current_file is not None and current_file.is_file():
        try:
            comparison = compare(result, current_file, val_ws).to_dict()
            comparison["old_model_id"] = current
        except ValueError as exc:  # another window spec: not comparable on these windows
            comparison = {"old_model_id": current, "error": str(exc)}
        metrics["comparison"] = comparison
        (work / "comparison.json").write_text(json.dumps(comparison, indent=1))
        artifacts["comparison.json"] = work / "comparison.json"
    (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
    artifacts["metrics.json"] = work / "metrics.json"
    with session_scope() as db:
        model = register_model(
            db,
            media,
            exported.path.read_bytes(),
            name=p.get("name") or f"dataset-{p['dataset_id']}",
            source="trained",
            owner_id=ctx.owner_id,
            metrics=metrics,
            artifacts=artifacts,
            dataset_id=int(p["dataset_id"]),
            job_id=ctx.job_id,
        )
        model_id, version = model.id, model.version
    ctx.progress(stage="done", fraction=1.0)
    return {"model_id": model_id, "version": version, "accuracy": report.accuracy, "macro_f1": report.macro_f1}
