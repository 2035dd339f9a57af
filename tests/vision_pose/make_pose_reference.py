"""Build the draft person-box reference for demo_walkway.mp4 (see docs/pose.md).

A deliberately expensive MoveNet configuration (native full frame plus overlapping tiles
upscaled 1.5× and 2×, low threshold) proposes boxes; the draft is then checked by eye on
rendered frames and corrected by hand in the JSON. Run:

    .venv/bin/python tests/vision_pose/make_pose_reference.py --render /tmp/pose_ref
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from videohar.vision.pose.merge import merge_people
from videohar.vision.pose.movenet import MoveNetModel, clip_to_frame, decode, letterbox
from videohar.vision.types import Person

HERE = Path(__file__).resolve().parent
CLIP = HERE.parents[1] / "src" / "videohar" / "assets" / "demo_walkway.mp4"
FRAMES = list(range(0, 400, 10))
THRESHOLD = 0.15

# Things MoveNet takes for people at a low threshold, found by viewing every rendered frame:
# the blue sign, the tripod (two positions), the bollard, the yellow cloth, two cones, the lamp head.
STATIC_NON_PEOPLE = [
    [31, 112, 47, 139], [500, 337, 513, 384], [498, 376, 519, 451], [687, 180, 750, 272],
    [98, 499, 160, 524], [166, 185, 176, 201], [294, 185, 305, 204], [396, 19, 439, 48],
]  # fmt: skip
# Hand corrections after viewing each frame: (frame, wrong box or None, right boxes).
# Added: people missed by the draft (behind the lamp post or sign, in a pair, far away, at the edge);
# replaced: one box covering two people, one box twice too wide.
HAND_CORRECTIONS: list[tuple[int, list[float] | None, list[list[float]]]] = [
    (10, None, [[756, 305, 768, 410]]),
    (30, None, [[402, 190, 430, 295]]),
    (130, None, [[598, 203, 626, 290]]),
    (140, None, [[692, 226, 713, 312]]),
    (150, [433.1, 178.8, 471.0, 277.2], [[432, 195, 466, 277], [443, 176, 471, 255]]),
    (160, None, [[32, 95, 56, 138]]),
    (350, [364.1, 177.6, 422.7, 258.5], [[382, 178, 404, 262], [428, 175, 450, 247]]),
]


def tiles(h: int, w: int, size: int, stride: int) -> list[tuple[int, int]]:
    ys = sorted({*range(0, max(h - size, 0) + 1, stride), max(h - size, 0)})
    xs = sorted({*range(0, max(w - size, 0) + 1, stride), max(w - size, 0)})
    return [(x, y) for y in ys for x in xs]


def expensive(model: MoveNetModel, frame: np.ndarray) -> list[Person]:
    h, w = frame.shape[:2]
    canvas, box = letterbox(frame, (h // 32 * 32, w // 32 * 32))
    found = decode(model.run(canvas), box, THRESHOLD)
    for size, up in ((192, 2.0), (256, 1.5)):
        for x, y in tiles(h, w, size, size // 2):
            crop = frame[y : y + size, x : x + size]
            canvas, box = letterbox(crop, (int(size * up), int(size * up)))
            for p in decode(model.run(canvas), box, THRESHOLD, origin=(x, y)):
                x0, y0, x1, y1 = p.box
                cut = (x0 <= x + 2 and x > 0) or (y0 <= y + 2 and y > 0)
                cut |= (x1 >= x + size - 2 and x + size < w) or (y1 >= y + size - 2 and y + size < h)
                if not cut:
                    found.append(p)
    return clip_to_frame(merge_people(found, iou_threshold=0.4, containment_threshold=0.7), (h, w))


def _iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


def correct(draft: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
    """The draft with static non-people removed and the hand corrections applied."""
    final = {
        k: [b[:4] for b in boxes if all(_iou(b, s) < 0.4 for s in STATIC_NON_PEOPLE)] for k, boxes in draft.items()
    }
    for frame, wrong, right in HAND_CORRECTIONS:
        boxes = final[str(frame)]
        if wrong is not None:
            boxes[:] = [b for b in boxes if _iou(b, wrong) < 0.9]
        boxes.extend([float(v) for v in box] for box in right)
    return final


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draft", type=Path, default=Path("/tmp/walkway_draft.json"))
    parser.add_argument("--out", type=Path, default=HERE / "data" / "walkway_people.json")
    parser.add_argument("--render", type=Path, help="also draw the draft boxes to PNGs here")
    parser.add_argument("--reuse-draft", action="store_true", help="only apply corrections to --draft")
    args = parser.parse_args()
    if not args.reuse_draft:
        args.draft.write_text(json.dumps(make_draft(args.render)))
    draft = json.loads(args.draft.read_text())
    reference = {
        "clip": CLIP.name,
        "made_by": "tests/vision_pose/make_pose_reference.py (draft + hand corrections, see docs/pose.md)",
        "frames": correct(draft),
    }
    text = json.dumps(reference, separators=(",", ":"))
    args.out.write_text(text.replace('],"', '],\n"') + "\n")


def make_draft(render: Path | None) -> dict[str, list[list[float]]]:
    model = MoveNetModel(threads=2)
    cap = cv2.VideoCapture(str(CLIP))
    result: dict[str, list[list[float]]] = {}
    index = 0
    while FRAMES and index <= FRAMES[-1]:
        ok, frame = cap.read()
        if not ok:
            break
        if index in FRAMES:
            people = expensive(model, frame)
            result[str(index)] = [[round(float(v), 1) for v in p.box] + [round(p.score, 3)] for p in people]
            if render:
                render.mkdir(parents=True, exist_ok=True)
                for i, p in enumerate(people):
                    x0, y0, x1, y1 = p.box.astype(int)
                    cv2.rectangle(frame, (x0, y0), (x1, y1), (0, 0, 255), 1)
                    cv2.putText(frame, f"{i}:{p.score:.2f}", (x0, y0 - 2), 0, 0.35, (0, 255, 255), 1)
                cv2.imwrite(str(render / f"{index:03d}.png"), frame)
        index += 1
    return result


if __name__ == "__main__":
    main()
