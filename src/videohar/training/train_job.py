"""The `train` job: dataset -> windows (frozen in the job folder, so a resumed run sees the same
data) -> split -> ST-GCN++ training with checkpoints -> ONNX export with parity -> evaluation
artifacts and a comparison with the active model -> a new registry version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from videohar.datasets.labels import LabelError, dataset_windows
from videohar.datasets.settings import get_dataset_settings
from videohar.db.training_models import JobStatus
from videohar.training.dataset import WindowSet, split_windows
from videohar.training.jobs import JobContext, JobFailed, mark_finished, remove_work_dir

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


def _active_model(camera_id: int | None) -> tuple[int | None, Any]:
    """The model in service for the comparison (the camera's, with its pin, or the default), loaded
    exactly as a worker loads it (hash-checked); (None, None) when there is none."""
    from videohar.config import get_settings
    from videohar.db.models import Camera
    from videohar.db.session import session_scope
    from videohar.training.registry import active_model_id
    from videohar.worker.models import load_verified

    with session_scope() as db:
        pinned = None
        if camera_id is not None:
            camera = db.get(Camera, int(camera_id))
            pinned = (camera.settings or {}).get("model_id") if camera is not None else None
        current = active_model_id(db, camera_id, pinned)
    if current is None:
        return None, None
    return current, load_verified(current, get_settings().media_path)


def _comparison(result: Any, val_ws: WindowSet, camera_id: int | None) -> dict[str, Any] | None:
    """New vs active model on the new model's held-out windows; None when no model is active.

    A comparison that cannot be made (another window spec, an unreadable file) is reported in the
    dict, never a reason to fail the training.
    """
    from videohar.training.evaluate import compare

    try:
        old_id, old_model = _active_model(camera_id)
    except Exception as exc:  # a missing or replaced file, a bad row: report, don't fail the job
        return {"old_model_id": None, "error": f"cannot load the active model: {exc}"}
    if old_id is None:
        return None
    windows = {"n": len(val_ws), "fingerprint": val_ws.fingerprint(), "clips": sorted(set(val_ws.clip_ids.tolist()))}
    try:
        c = compare(result, old_model, val_ws)
    except Exception as exc:
        return {"old_model_id": old_id, "windows": windows, "error": f"not comparable on these windows: {exc}"}
    return {
        "old_model_id": old_id,
        "windows": windows,
        "new_accuracy": c.new.accuracy,
        "old_accuracy": c.old.accuracy,
        "new_macro_f1": c.new.macro_f1,
        "old_macro_f1": c.old.macro_f1,
        **c.to_dict(),
    }


def run_train_job(ctx: JobContext) -> dict[str, Any]:
    try:
        from videohar.training.evaluate import evaluate, plot_confusion, plot_curves
        from videohar.training.export import export_onnx
        from videohar.training.train import TrainConfig, train
    except ImportError as exc:
        raise JobFailed(f"training needs the `train` extra (pip install 'videohar[train]'): {exc}") from None
    from videohar.config import get_settings
    from videohar.db.session import session_scope
    from videohar.training.registry import register_model

    p = ctx.params
    size = p.get("size", "default")
    if size not in SIZES:
        raise JobFailed(f"unknown model size {size!r}; one of {', '.join(SIZES)}")
    train_ws, val_ws = _windows(ctx)
    try:
        config = TrainConfig(
            epochs=int(p.get("epochs", 30)),
            seed=int(p.get("seed", 0)),
            batch_size=int(p.get("batch_size", 32)),
            lr=float(p.get("lr", 1e-3)),
            num_threads=get_dataset_settings().train_threads,
            model=model_config(size),
        )
    except (TypeError, ValueError) as exc:
        raise JobFailed(f"bad training parameters: {exc}") from None
    ctx.progress(
        stage="training",
        epochs=config.epochs,
        train_windows=len(train_ws),
        val_windows=len(val_ws),
        attempt=ctx.attempt,
    )

    def on_start(done: int) -> None:
        ctx.progress(epoch=done, resumed_from_epoch=done, fraction=round(done / config.epochs, 3))

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
            start_cb=on_start,
        )
    except ValueError as exc:  # e.g. only one class labelled, or a checkpoint of other data
        raise JobFailed(str(exc)) from None
    ctx.check_cancel()
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
        "attempt": ctx.attempt,
        "history": [
            {k: getattr(h, k) for k in ("epoch", "train_loss", "val_loss", "val_accuracy")} for h in result.history
        ],
    }
    artifacts = {"confusion.png": work / "confusion.png", "curves.png": work / "curves.png"}
    comparison = _comparison(result, val_ws, p.get("compare_camera_id"))
    if comparison is not None:
        metrics["comparison"] = comparison
        (work / "comparison.json").write_text(json.dumps(comparison, indent=1))
        artifacts["comparison.json"] = work / "comparison.json"
    (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
    artifacts["metrics.json"] = work / "metrics.json"
    ctx.check_cancel()
    with session_scope() as db:
        job = ctx.check_still_ours(db)  # a cancelled or taken-over job never registers a model
        model = register_model(
            db,
            get_settings().media_path,
            exported.path.read_bytes(),
            name=p.get("name") or f"dataset-{p['dataset_id']}",
            source="trained",
            owner_id=ctx.owner_id,
            metrics=metrics,
            artifacts=artifacts,
            dataset_id=int(p["dataset_id"]),
            job_id=ctx.job_id,
        )
        outcome: dict[str, Any] = {
            "model_id": model.id,
            "version": model.version,
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
        }
        if comparison is not None and "old_accuracy" in comparison:
            outcome["comparison"] = {
                k: comparison[k] for k in ("old_model_id", "old_accuracy", "new_accuracy", "new_is_better")
            }
        # the model and the job's success in one transaction: a trainer dying in between can
        # neither leave a registered model with a job that runs again, nor a success without a model
        job.progress = {**(job.progress or {}), "stage": "done", "fraction": 1.0}
        mark_finished(job, JobStatus.succeeded, result=outcome)
        remove_work_dir(ctx.job_id)  # copied into the registry; an ended job has no work folder
    if ctx.progress_cb is not None:
        ctx.progress_cb({"stage": "done", "fraction": 1.0})
    return outcome
