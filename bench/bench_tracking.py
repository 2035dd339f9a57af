"""Cost per frame of tracking and drawing, relative to the pose pass they follow.

    .venv/bin/python bench/bench_tracking.py [--frames 300] [--pose]

Tracker: 8 synthetic walkers (768x576 scene, irregular 10 fps) fed to `Tracker.update`.
Drawing: a real demo-clip frame with 8 people, 2 areas and the header, antialiased or not.
With `--pose`, one MoveNet 384x512 pass on the same frame is timed too, so the numbers can be
read as ratios measured in one run (the machine is shared; absolute times are noisy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from videohar.vision.drawing import DrawArea, DrawStyle, Header, annotate
from videohar.vision.geometry import rect_to_polygon
from videohar.vision.tracking import Tracker
from videohar.vision.types import Person, TrackedPerson

CLIP = Path(__file__).resolve().parent.parent / "src" / "videohar" / "assets" / "demo_walkway.mp4"
W, H = 768, 576

# Standing person, joints as fractions of the box.
_TEMPLATE = np.array(
    [
        [0.50, 0.06], [0.45, 0.04], [0.55, 0.04], [0.40, 0.06], [0.60, 0.06],
        [0.30, 0.20], [0.70, 0.20], [0.25, 0.38], [0.75, 0.38], [0.22, 0.52], [0.78, 0.52],
        [0.38, 0.52], [0.62, 0.52], [0.38, 0.75], [0.62, 0.75], [0.38, 0.97], [0.62, 0.97],
    ],
    dtype=np.float32,
)  # fmt: skip


def _person(cx: float, cy: float, h: float, rng: np.random.Generator) -> Person:
    w = 0.4 * h
    x0, y0 = cx - w / 2 + rng.normal(0, 2), cy - h / 2 + rng.normal(0, 2)
    kps = np.column_stack([x0 + _TEMPLATE[:, 0] * w, y0 + _TEMPLATE[:, 1] * h, np.full(17, 0.6)])
    return Person(box=(x0, y0, x0 + w, y0 + h), score=0.5, keypoints=kps)


def _walkers(frames: int, n: int = 8, seed: int = 0) -> list[tuple[float, list[Person]]]:
    rng = np.random.default_rng(seed)
    start = rng.uniform([50, 100], [W - 50, H - 100], size=(n, 2))
    velocity = rng.uniform(-60, 60, size=(n, 2))
    size = np.array([W, H])
    out, t = [], 0.0
    for _ in range(frames):
        t += rng.uniform(0.08, 0.12)
        pos = start + velocity * t
        pos = np.abs((pos + size) % (2 * size) - size)  # bounce inside the frame
        out.append((t, [_person(x, y, 100, rng) for x, y in pos]))
    return out


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_tracker(frames: int) -> float:
    data = _walkers(frames)
    tracker = Tracker()
    samples = []
    for t, people in data:
        start = time.perf_counter()
        tracker.update(people, t)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[10:])


def bench_drawing(frame: np.ndarray, repeat: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    tracked = [
        TrackedPerson(i + 1, _person(80 + 85 * i, 300, 100, rng), labels={"walking": 0.8, "fall": 0.35})
        for i in range(8)
    ]
    areas = [
        DrawArea("entrance", rect_to_polygon({"x": 40, "y": 300, "width": 300, "height": 200}), (0, 200, 255)),
        DrawArea("path", np.array([[400, 150], [700, 180], [740, 560], [380, 540]], np.float32), (255, 120, 0)),
    ]
    header = Header("camera 1", time.time(), 10.0)
    result = {}
    for name, style in (("antialiased", DrawStyle()), ("plain", DrawStyle(antialias=False))):
        result[f"draw_8_people_{name}_ms"] = _median_ms(
            lambda s=style: annotate(frame, tracked, areas=areas, header=header, style=s), repeat
        )
    result["draw_empty_header_only_ms"] = _median_ms(lambda: annotate(frame, [], header=header), repeat)
    return result


def bench_pose(frame: np.ndarray, repeat: int) -> float:
    from ai_edge_litert.interpreter import Interpreter

    from videohar.model_bundle import movenet_tflite

    interpreter = Interpreter(model_content=movenet_tflite(), num_threads=2)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, (1, 384, 512, 3))
    interpreter.allocate_tensors()
    canvas = cv2.resize(frame, (512, 384))[..., ::-1].copy()

    def run() -> None:
        interpreter.set_tensor(index, canvas[None])
        interpreter.invoke()

    run()
    return _median_ms(run, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--pose", action="store_true", help="also time one MoveNet 384x512 pass")
    args = parser.parse_args()
    capture = cv2.VideoCapture(str(CLIP))
    ok, frame = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read {CLIP}")
    result: dict[str, float] = {"tracker_8_people_ms": bench_tracker(args.frames)}
    result.update(bench_drawing(frame, args.frames))
    if args.pose:
        result["movenet_384x512_ms"] = bench_pose(frame, max(20, args.frames // 10))
        for key in [k for k in result if k != "movenet_384x512_ms"]:
            result[key.replace("_ms", "_vs_pose")] = result[key] / result["movenet_384x512_ms"]
    print(json.dumps({k: round(v, 4) for k, v in result.items()}, indent=2))


if __name__ == "__main__":
    main()
