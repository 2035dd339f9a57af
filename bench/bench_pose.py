"""Pose backends on the demo clip: speed and recall/precision against the hand-checked reference.

The default strategy is stateful, so it runs over every frame in order; plain MoveNet is
stateless and runs only on the reference frames (keeps the bench short). Timing is `estimate()`
per frame; recall/precision use the 40 reference frames of
`tests/vision_pose/data/walkway_people.json`. Compare the rows as ratios: the machine is shared.

    .venv/bin/python bench/bench_pose.py [--frames 400]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from videohar.vision.pose import MoveNetModel, create_pose_backend
from videohar.vision.pose.evaluation import score_frames

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "src" / "videohar" / "assets" / "demo_walkway.mp4"
REFERENCE = ROOT / "tests" / "vision_pose" / "data" / "walkway_people.json"
RESULTS = ROOT / "bench" / "results" / "pose.md"

SETTINGS: list[tuple[str, str, dict[str, object], bool]] = [
    # label, backend name, options, stateful (must see every frame)
    ("MoveNet 256×256", "movenet", {"input_size": (256, 256)}, False),
    ("MoveNet 288×384", "movenet", {"input_size": (288, 384)}, False),
    ("MoveNet 384×512", "movenet", {"input_size": (384, 512)}, False),
    ("default (movenet_regions)", "default", {}, True),
]


def read_frames(limit: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    while len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def run(frames: list[np.ndarray], reference: dict[str, list[list[float]]], model: MoveNetModel) -> list[str]:
    rows = []
    for label, name, options, stateful in SETTINGS:
        backend = create_pose_backend(name, model=model, **options)
        backend.estimate(frames[0])  # warm-up (and the default's whole-frame scan of the first frame)
        backend.reset()
        times, counts, predicted = [], [], {}
        indices = range(len(frames)) if stateful else [i for i in range(len(frames)) if str(i) in reference]
        for index in indices:
            start = time.perf_counter()
            people = backend.estimate(frames[index])
            times.append(time.perf_counter() - start)
            counts.append(len(people))
            if str(index) in reference:
                predicted[str(index)] = [p.box for p in people]
        keys = [k for k in reference if k in predicted]
        at3 = score_frames(((predicted[k], reference[k]) for k in keys), iou=0.3)
        at5 = score_frames(((predicted[k], reference[k]) for k in keys), iou=0.5)
        ms = 1000 * float(np.median(times[1:]))
        rows.append(
            f"| {label} | {ms:.1f} | {1000 / ms:.1f} | {np.mean(counts):.2f} "
            f"| {at3.recall:.3f} / {at3.precision:.3f} | {at5.recall:.3f} / {at5.precision:.3f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=400, help="frames of the clip to run (max 400)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    reference = json.loads(REFERENCE.read_text())["frames"]
    frames = read_frames(args.frames)
    model = MoveNetModel(threads=args.threads)
    header = [
        f"Pose backends on demo_walkway.mp4 ({len(frames)} frames, 768×576; {args.threads} LiteRT threads; "
        f"reference: {sum(len(v) for v in reference.values())} people in {len(reference)} frames).",
        "ms = median per frame of `estimate()` (letterbox, inference, decoding, merging; not video decode);",
        "the default includes its first-frame whole scan in the run but not in the median.",
        "",
        "| setting | ms/frame | fps | people/frame | recall / precision @IoU 0.3 | @IoU 0.5 |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(header), flush=True)
    rows = run(frames, reference, model)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join([*header, *rows]) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
