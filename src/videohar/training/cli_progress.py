"""Command-line front ends of training and dataset import/export (`videohar train`, `dataset-*`).

Each returns the exit code. Bad input (an unknown dataset, an unreadable or foreign file) is one
`error: ...` line on stderr and exit code 2, and changes nothing: it is checked before a job row
or a clip is created.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
EXIT_JOB_FAILED = 1
EXIT_INTERRUPTED = 130


def _error(message: str) -> int:
    """One line on stderr, whatever the exception text holds."""
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return EXIT_BAD_INPUT


def _dataset_exists(dataset_id: int) -> bool:
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset

    with session_scope() as db:
        return db.get(Dataset, dataset_id) is not None


def _epoch_line(fields: dict[str, Any]) -> str:
    acc, eta = fields.get("val_accuracy"), fields.get("eta_s")
    return (
        f"epoch {fields['epoch']}/{fields.get('epochs', '?')}  loss {fields['loss']:.4f}"
        + (f"  val acc {acc:.3f}" if acc is not None else "")
        + (f"  eta {eta:.0f} s" if eta is not None else "")
    )


def train_with_progress(params: dict[str, Any]) -> int:
    """Run a train job in this process: a progress bar on a terminal, one line per epoch otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from videohar.training.jobs import run_now

    if not _dataset_exists(params["dataset_id"]):
        return _error(f"no dataset {params['dataset_id']}")
    missing = [m for m in ("torch", "onnx", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        return _error(f"training needs the `train` extra (pip install 'videohar[train]'); missing {', '.join(missing)}")

    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    )
    job_ids: list[int] = []
    try:
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("training", total=params["epochs"], info="")

            def on_progress(fields: dict[str, Any]) -> None:
                if fields.get("resumed_from_epoch"):
                    bar.update(task, completed=fields["resumed_from_epoch"])
                if "epoch" in fields and fields.get("loss") is not None:
                    acc = fields.get("val_accuracy")
                    info = f"loss {fields['loss']:.3f}" + (f"  val acc {acc:.3f}" if acc is not None else "")
                    bar.update(task, completed=fields["epoch"], info=info)
                    if not console.is_terminal:
                        print(_epoch_line(fields), flush=True)
                elif "stage" in fields:
                    bar.update(task, description=str(fields["stage"]))
                    if not console.is_terminal:
                        print(f"stage: {fields['stage']}", flush=True)

            job = run_now("train", params, on_progress, job_ids=job_ids)
    except KeyboardInterrupt:
        print(f"interrupted: job {job_ids[0]} cancelled" if job_ids else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if job.status != "succeeded":
        print(f"error: job {job.id} {job.status}: {' '.join(job.error.split())}", file=sys.stderr)
        return EXIT_JOB_FAILED
    r = job.result
    print(
        f"model {r['model_id']} (version {r['version']}): accuracy {r['accuracy']:.3f}, "
        f"macro F1 {r['macro_f1']:.3f}; artifacts via GET /models/{r['model_id']}"
    )
    if "comparison" in r:
        c = r["comparison"]
        print(f"active model {c['old_model_id']} on the same held-out windows: accuracy {c['old_accuracy']:.3f}")
    return 0


def import_pickle_file(dataset_id: int, path: str, fps: float) -> int:
    from videohar.config import get_settings
    from videohar.datasets.interchange import import_pickle
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset

    if not fps > 0:
        return _error(f"--fps must be > 0, got {fps}")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return _error(f"cannot read {path}: {exc.strerror or exc}")
    try:
        with session_scope() as db:
            dataset = db.get(Dataset, dataset_id)
            if dataset is None:
                return _error(f"no dataset {dataset_id}")
            result = import_pickle(db, get_settings().media_path, dataset, data, fps=fps)
    except (OSError, ValueError) as exc:  # UnsafePickle and malformed annotations are ValueErrors
        return _error(f"{path}: {exc}")
    print(f"imported {result['clips']} clips, {result['segments']} segments; skipped labels {result['skipped_labels']}")
    return 0


def export_pickle_file(dataset_id: int, path: str) -> int:
    from videohar.config import get_settings
    from videohar.datasets.interchange import export_pickle
    from videohar.db.session import session_scope
    from videohar.db.training_models import Dataset
    from videohar.media.store import write_atomic

    with session_scope() as db:
        dataset = db.get(Dataset, dataset_id)
        if dataset is None:
            return _error(f"no dataset {dataset_id}")
        data = export_pickle(db, get_settings().media_path, dataset)
    if data is None:
        return _error(f"dataset {dataset_id} has no labelled segments to export")
    try:
        write_atomic(Path(path), data)
    except OSError as exc:
        return _error(f"cannot write {path}: {exc.strerror or exc}")
    print(f"wrote {path} ({len(data)} bytes)")
    return 0
