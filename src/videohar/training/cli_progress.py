"""Command-line front ends of training and dataset import/export (`videohar train`, `dataset-*`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def train_with_progress(params: dict[str, Any]) -> int:
    """Run a train job in this process with a rich progress bar; exit code 0 on success."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from videohar.training.jobs import run_now

    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("training", total=params["epochs"], info="")

        def on_progress(fields: dict[str, Any]) -> None:
            if "epoch" in fields and fields.get("loss") is not None:
                acc = fields.get("val_accuracy")
                info = f"loss {fields['loss']:.3f}" + (f"  val acc {acc:.3f}" if acc is not None else "")
                bar.update(task, completed=fields["epoch"], info=info)
            elif "stage" in fields:
                bar.update(task, description=str(fields["stage"]))

        job = run_now("train", params, on_progress)
    if job.status != "succeeded":
        console.print(f"[red]job {job.id} {job.status}: {job.error}")
        return 1
    r = job.result
    console.print(
        f"model {r['model_id']} (version {r['version']}): accuracy {r['accuracy']:.3f}, "
        f"macro F1 {r['macro_f1']:.3f}; artifacts via GET /models/{r['model_id']}"
    )
    return 0


def _dataset(db, dataset_id: int):  # type: ignore[no-untyped-def]
    from videohar.db.training_models import Dataset

    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise SystemExit(f"error: no dataset {dataset_id}")
    return dataset


def import_pickle_file(dataset_id: int, path: str, fps: float) -> int:
    from videohar.config import get_settings
    from videohar.datasets.interchange import import_pickle
    from videohar.db.session import session_scope

    with session_scope() as db:
        try:
            result = import_pickle(
                db, get_settings().media_path, _dataset(db, dataset_id), Path(path).read_bytes(), fps=fps
            )
        except (OSError, ValueError) as exc:
            print(f"error: {exc}")
            return 2
    print(f"imported {result['clips']} clips, {result['segments']} segments; skipped labels {result['skipped_labels']}")
    return 0


def export_pickle_file(dataset_id: int, path: str) -> int:
    from videohar.config import get_settings
    from videohar.datasets.interchange import export_pickle
    from videohar.db.session import session_scope
    from videohar.media.store import write_atomic

    with session_scope() as db:
        data = export_pickle(db, get_settings().media_path, _dataset(db, dataset_id))
    if data is None:
        print("error: the dataset has no labelled segments")
        return 2
    write_atomic(Path(path), data)
    print(f"wrote {path} ({len(data)} bytes)")
    return 0
