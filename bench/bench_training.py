"""Training cost, ONNX inference latency and accuracy of the shipped recipe (synthetic data).

    .venv/bin/python bench/bench_training.py [--epochs 8] [--train-seqs 16] [--test-seqs 8]

Data: `videohar.datasets.synthetic` (procedural stick figures, all 8 of its actions) at a
camera-like 10 fps, resampled to the 16 fps / T=48 window spec and normalised exactly as the
workers do. Training and held-out sequences come from different seeds. The model, optimiser,
augmentation and schedule are the shipped defaults (`TrainConfig()`); only the number of
epochs is cut so the run fits in a few minutes on two shared cores. Numbers are from one run
on a shared machine: compare ratios, not absolute times. Synthetic accuracy says the recipe
learns; it is not a claim about real footage.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: see the note in the report

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from videohar.actions.onnx_model import OnnxSkeletonModel
from videohar.actions.windows import WindowSpec
from videohar.datasets.synthetic import ACTIONS, generate_sequence
from videohar.training.dataset import ClipTracks, Segment, TrackSeries, build_windows, split_windows
from videohar.training.evaluate import evaluate, plot_confusion
from videohar.training.export import export_onnx
from videohar.training.stgcn import ModelConfig, STGCNPlusPlus, count_parameters
from videohar.training.train import TrainConfig, train

RESULTS = Path(__file__).resolve().parent / "results"
CAMERA_FPS = 10.0
SECONDS = 4.5


def windows_from_generator(n_per_action: int, seed: int, spec: WindowSpec):
    rng = np.random.default_rng(seed)
    clips, segments = [], []
    for i in range(n_per_action):
        for action in ACTIONS:
            kps = generate_sequence(action, seconds=SECONDS, fps=CAMERA_FPS, rng=rng)
            clip_id = f"{seed}-{action}-{i}"
            track = TrackSeries(np.arange(len(kps)), kps)
            clips.append(ClipTracks(clip_id, CAMERA_FPS, {1: track}, group=f"cam{i % 4}"))
            segments.append(Segment(clip_id, 1, 0, len(kps), action))
    return build_windows(clips, segments, ACTIONS, spec=spec, stride_s=1.0)


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-seqs", type=int, default=16, help="sequences per action for training")
    parser.add_argument("--test-seqs", type=int, default=8, help="sequences per action held out")
    parser.add_argument("--timing-windows", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    parser.add_argument("--out", type=Path, default=RESULTS / "training.md")
    args = parser.parse_args()
    spec = WindowSpec()
    began = time.perf_counter()

    all_train = windows_from_generator(args.train_seqs, seed=11, spec=spec)
    held_out = windows_from_generator(args.test_seqs, seed=12, spec=spec)
    train_ws, val_ws = split_windows(all_train, 0.15, by="clip", seed=0)
    print(f"windows: train {len(train_ws)}, val {len(val_ws)}, held-out {len(held_out)}", flush=True)

    # Training cost: one epoch of the default recipe on a subset, per thread count.
    epoch_rows = []
    subset = train_ws.subset(np.arange(min(args.timing_windows, len(train_ws))))
    for threads in (1, 2):
        cfg = TrainConfig(epochs=1, num_threads=threads)
        t0 = time.perf_counter()
        train(cfg, subset, None)
        seconds = time.perf_counter() - t0
        epoch_rows.append((threads, seconds * 1000 / len(subset)))
        print(f"epoch, {threads} thread(s): {seconds:.1f} s for {len(subset)} windows", flush=True)

    # Cost of the default layout against pyskl's (same inputs, interleaved to share the noise).
    layouts = {
        "default (time halved at 2, 5, 8)": ModelConfig(),
        "pyskl layout, 40 ch (time halved at 5, 8)": ModelConfig(down_stages=(5, 8)),
        "pyskl ST-GCN++ (64 ch)": ModelConfig(base_channels=64, down_stages=(5, 8)),
    }
    torch.set_num_threads(1)
    xb = torch.from_numpy(np.ascontiguousarray(train_ws.x[:16].transpose(0, 3, 1, 2)))
    nets = {name: STGCNPlusPlus(len(ACTIONS), cfg) for name, cfg in layouts.items()}
    step_times: dict[str, list[float]] = {name: [] for name in nets}
    for round_ in range(4):
        for name, net in nets.items():
            t0 = time.perf_counter()
            net(xb).sum().backward()
            if round_:  # the first round warms up
                step_times[name].append((time.perf_counter() - t0) * 1000 / len(xb))
    layout_rows = []
    for name, net in nets.items():
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            net.eval()(xb[:1])
        layout_rows.append(
            (name, count_parameters(net), counter.get_total_flops() / 1e6, statistics.median(step_times[name]))
        )

    # The shipped recipe, then held-out accuracy; one thread, as training jobs run (VIDEOHAR_DATASETS_TRAIN_THREADS).
    recipe = dataclasses.replace(TrainConfig(), epochs=args.epochs, batch_size=args.batch_size, num_threads=1)
    t0 = time.perf_counter()
    result = train(recipe, train_ws, val_ws, progress_cb=lambda s: print(s, flush=True))
    train_s = time.perf_counter() - t0
    report = evaluate(result, held_out)
    RESULTS.mkdir(exist_ok=True)
    plot_confusion(report, RESULTS / "training_confusion.png")

    # ONNX inference latency with the workers' loader (1 intra-op thread).
    with tempfile.TemporaryDirectory() as tmp:
        exported = export_onnx(result.model, result.labels, Path(tmp) / "m.onnx", spec=spec)
        onnx_model = OnnxSkeletonModel(exported.path, threads=1)
        one, ten = held_out.x[:1], held_out.x[:10]
        lat_1 = timed(lambda: onnx_model.score(one), 200)
        lat_10 = timed(lambda: onnx_model.score(ten), 100)
    torch.set_num_threads(1)
    model = result.model.eval()
    x1 = torch.from_numpy(np.ascontiguousarray(one.transpose(0, 3, 1, 2)))
    with torch.no_grad():
        torch_1 = timed(lambda: model(x1), 50)

    ms = 1000.0
    lines = [
        "# Skeleton action model training (bench/bench_training.py)",
        "",
        "Machine: 2 cores shared with other work, so absolute numbers are noisy; compare ratios",
        f"from this one run. torch {torch.__version__}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}.",
        f"Model: default ST-GCN++ (`ModelConfig()`), {count_parameters(STGCNPlusPlus(len(ACTIONS))):,} parameters,",
        f"window T={spec.T} at {spec.fps:g} fps, {len(ACTIONS)} classes; ONNX file {exported.size_bytes / 1e6:.2f} MB.",
        "",
        f"## Training time per epoch (default recipe: batch {TrainConfig().batch_size}, augmentation on)",
        "",
        "| torch threads | ms per window | s per epoch per 1,000 windows |",
        "|---:|---:|---:|",
        *[f"| {t} | {v:.1f} | {v:.0f} |" for t, v in epoch_rows],
        "",
        "Model layouts, 1 thread, batch 16, forward + backward (interleaved in this run):",
        "",
        "| layout | parameters | MFLOPs per window (forward) | train ms per window | ratio to default |",
        "|---|---:|---:|---:|---:|",
        *[f"| {n} | {p:,} | {f:.0f} | {ms_:.1f} | {ms_ / layout_rows[0][3]:.2f} |" for n, p, f, ms_ in layout_rows],
        "",
        "## Inference latency (onnxruntime, 1 intra-op thread, via `OnnxSkeletonModel.score`)",
        "",
        "| batch | median ms | p90 ms | ms per window |",
        "|---:|---:|---:|---:|",
        f"| 1 | {statistics.median(lat_1) * ms:.2f} | {np.percentile(lat_1, 90) * ms:.2f} | "
        f"{statistics.median(lat_1) * ms:.2f} |",
        f"| 10 | {statistics.median(lat_10) * ms:.2f} | {np.percentile(lat_10, 90) * ms:.2f} | "
        f"{statistics.median(lat_10) * ms / 10:.2f} |",
        "",
        f"PyTorch eager, 1 thread, batch 1: median {statistics.median(torch_1) * ms:.2f} ms "
        f"(ONNX / PyTorch = {statistics.median(lat_1) / statistics.median(torch_1):.2f}).",
        "",
        "## Accuracy of the shipped recipe on generated data (held-out sequences, other seed)",
        "",
        f"Train {len(train_ws)} windows ({args.train_seqs} sequences of {SECONDS:g} s per action at "
        f"{CAMERA_FPS:g} fps), validation {len(val_ws)} (by clip), held-out {len(held_out)} "
        f"({args.test_seqs} per action). {args.epochs} epochs (the default is {TrainConfig().epochs}), "
        f"batch {args.batch_size}, "
        f"1 thread: {train_s:.0f} s; best epoch {result.best_epoch}.",
        "",
        f"Held-out accuracy **{report.accuracy:.3f}** (chance {1 / len(ACTIONS):.3f}), macro F1 {report.macro_f1:.3f}.",
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
        *[f"| {c.label} | {c.precision:.2f} | {c.recall:.2f} | {c.f1:.2f} | {c.support} |" for c in report.per_class],
        "",
        "| epoch | train loss | val loss | val accuracy | s |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {h.epoch} | {h.train_loss:.3f} | {h.val_loss:.3f} | {h.val_accuracy:.3f} | {h.seconds:.1f} |"
            for h in result.history
        ],
        "",
        f"Confusion matrix: `training_confusion.png`. Total bench time {time.perf_counter() - began:.0f} s.",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
