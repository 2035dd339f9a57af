"""Annotate BGR frames: focus areas, people (box, skeleton, track id, action scores), a header.

Drawing is for the operator's live view and event snapshots; it never changes what is analysed.
A frame with nobody in view still gets its header (time, fps), so the annotated stream visibly
keeps updating.

Text uses OpenCV's Hershey fonts, which only have printable ASCII. User text (camera and area
names) goes through `safe_text`: accents are stripped (é → e), other non-ASCII characters and
control characters become `?`, and long names are cut, so any string is safe to draw.

>>> out = annotate(frame, tracked, areas=[DrawArea("door", polygon)], header=Header("cam 1", t, fps))
"""

from __future__ import annotations

import colorsys
import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from videohar.vision.types import COCO17_EDGES, Person, TrackedPerson

Color = tuple[int, int, int]
"""BGR, 0..255."""

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_UNTRACKED: Color = (200, 200, 200)


def _palette(n: int = 32) -> list[Color]:
    """Distinct saturated colours by stepping the hue with the golden ratio."""
    colors = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.85, 1.0)
        colors.append((int(b * 255), int(g * 255), int(r * 255)))
    return colors


_PALETTE = _palette()


def track_color(track_id: int) -> Color:
    """A stable colour per track id, so a person keeps their colour across frames."""
    return _PALETTE[track_id % len(_PALETTE)]


def parse_color(value: str | Sequence[int] | None, default: Color = (0, 200, 255)) -> Color:
    """`#rrggbb` (as stored with areas) or a BGR triple → BGR; anything unreadable → `default`."""
    if value is None:
        return default
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        try:
            r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            return default
        return (b, g, r) if len(text) == 6 else default
    try:
        b, g, r = (int(np.clip(int(v), 0, 255)) for v in value)
    except (TypeError, ValueError):
        return default
    return (b, g, r)


def safe_text(text: object, max_len: int = 40) -> str:
    """Printable ASCII for Hershey fonts: accents stripped, other characters → '?', cut at `max_len`."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    chars = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        chars.append(ch if " " <= ch <= "~" else (" " if ch in "\t\r\n" else "?"))
    out = "".join(chars).strip()
    return out if len(out) <= max_len else out[: max_len - 1] + "~"


@dataclass(frozen=True, slots=True)
class DrawArea:
    """A focus area to draw: polygon in frame pixels (see `geometry.area_to_pixels`)."""

    name: str
    polygon: np.ndarray
    color: Color = (0, 200, 255)


@dataclass(frozen=True, slots=True)
class Header:
    """The status line at the top of the frame."""

    camera: str = ""
    time: float | dt.datetime | None = None
    """Epoch seconds or a datetime; shown in the server's local time."""
    fps: float | None = None
    people: int | None = None
    """Shown people count; defaults to the number of people drawn."""


@dataclass(frozen=True, slots=True)
class DrawStyle:
    keypoint_conf: float = 0.2
    """Joints below this confidence are not drawn, nor the bones touching them."""
    label_min_score: float = 0.3
    """Action scores below this are not shown."""
    max_labels: int = 3
    area_alpha: float = 0.25
    font_scale: float = 0.45
    thickness: int = 1
    antialias: bool = True


def annotate(
    frame: np.ndarray,
    people: Sequence[TrackedPerson | Person] = (),
    *,
    areas: Sequence[DrawArea] = (),
    header: Header | None = None,
    style: DrawStyle | None = None,
    inplace: bool = False,
) -> np.ndarray:
    """Draw areas, then people, then the header; returns the annotated frame (a copy by default)."""
    if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3):
        raise ValueError("frame must be a BGR uint8 HxWx3 array")
    style = style or DrawStyle()
    out = frame if inplace else frame.copy()
    for area in areas:
        draw_area(out, area, style)
    for item in people:
        draw_person(out, item, style)
    if header is not None:
        draw_header(out, header, len(people), style)
    return out


def _line_type(style: DrawStyle) -> int:
    return cv2.LINE_AA if style.antialias else cv2.LINE_8


def _label(img: np.ndarray, text: str, x: int, y: int, color: Color, style: DrawStyle) -> int:
    """Text on a filled box whose bottom-left is (x, y), kept inside the frame; returns box height."""
    (tw, th), base = cv2.getTextSize(text, _FONT, style.font_scale, style.thickness)
    h, w = img.shape[:2]
    x = int(min(max(x, 0), max(w - tw - 4, 0)))
    y = int(min(max(y, th + base + 2), h - 1))
    cv2.rectangle(img, (x, y - th - base - 2), (x + tw + 4, y), color, -1)
    ink = (0, 0, 0) if sum(color) > 380 else (255, 255, 255)
    cv2.putText(img, text, (x + 2, y - base), _FONT, style.font_scale, ink, style.thickness, _line_type(style))
    return th + base + 2


def draw_area(img: np.ndarray, area: DrawArea, style: DrawStyle | None = None) -> None:
    """Semi-transparent fill, outline and name; only the polygon's bounding box is blended."""
    style = style or DrawStyle()
    poly = np.asarray(area.polygon, dtype=np.float64).reshape(-1, 2)
    if len(poly) < 3 or not np.isfinite(poly).all():
        return
    h, w = img.shape[:2]
    pts = np.round(np.clip(poly, -4 * w, 5 * w)).astype(np.int32)  # huge values overflow cv2
    x0, y0 = np.clip(pts.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(pts.max(axis=0) + 1, 0, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    overlay = roi.copy()
    cv2.fillPoly(overlay, [pts - [x0, y0]], area.color, _line_type(style))
    cv2.addWeighted(overlay, style.area_alpha, roi, 1 - style.area_alpha, 0, dst=roi)
    cv2.polylines(img, [pts], True, area.color, max(1, style.thickness), _line_type(style))
    name = safe_text(area.name)
    if name:
        top = pts[np.argmin(pts[:, 1])]
        _label(img, name, int(top[0]), int(top[1]), area.color, style)


def draw_person(img: np.ndarray, item: TrackedPerson | Person, style: DrawStyle | None = None) -> None:
    """Box, skeleton, then id and the strongest action scores above the box."""
    style = style or DrawStyle()
    if isinstance(item, TrackedPerson):
        person, color = item.person, track_color(item.track_id)
        caption, labels = f"#{item.track_id}", item.labels
    else:
        person, color, caption, labels = item, _UNTRACKED, f"{item.score:.2f}", {}
    box = person.box
    if not np.isfinite(box).all():
        return
    lt = _line_type(style)
    x0, y0, x1, y1 = (round(float(v)) for v in np.clip(box, -1e5, 1e5))
    cv2.rectangle(img, (x0, y0), (x1, y1), color, style.thickness, lt)
    kps = person.keypoints
    ok = (kps[:, 2] >= style.keypoint_conf) & np.isfinite(kps[:, :2]).all(axis=1)
    xy = np.round(np.clip(np.nan_to_num(kps[:, :2]), -1e5, 1e5)).astype(np.int32)
    for a, b in COCO17_EDGES:
        if ok[a] and ok[b]:
            cv2.line(img, tuple(xy[a]), tuple(xy[b]), color, style.thickness + 1, lt)
    for j in np.flatnonzero(ok):
        cv2.circle(img, tuple(xy[j]), 2, (255, 255, 255), -1, lt)
    shown = sorted(((s, k) for k, s in labels.items() if s >= style.label_min_score), reverse=True)
    lines = [caption] + [f"{safe_text(k, 20)} {s:.2f}" for s, k in shown[: style.max_labels]]
    y = y0 - 1
    for text in reversed(lines):
        y -= _label(img, text, x0, y, color, style) + 1


def _format_time(value: float | dt.datetime) -> str:
    try:
        when = value if isinstance(value, dt.datetime) else dt.datetime.fromtimestamp(float(value))
    except (OverflowError, OSError, ValueError):
        return "time ?"
    return when.strftime("%Y-%m-%d %H:%M:%S")


def draw_header(img: np.ndarray, header: Header, people_drawn: int, style: DrawStyle | None = None) -> None:
    """A darkened band across the top with camera, time, fps and people count."""
    style = style or DrawStyle()
    parts = [safe_text(header.camera)] if header.camera else []
    if header.time is not None:
        parts.append(_format_time(header.time))
    if header.fps is not None:
        parts.append(f"{header.fps:.1f} fps")
    parts.append(f"people {people_drawn if header.people is None else header.people}")
    text = "  |  ".join(parts)
    (_, th), base = cv2.getTextSize(text, _FONT, style.font_scale, style.thickness)
    band = img[: th + base + 8]
    band[:] = (band >> 2) + (band >> 3)  # ~40 % brightness, cheaper than addWeighted
    cv2.putText(img, text, (6, th + 4), _FONT, style.font_scale, (255, 255, 255), style.thickness, _line_type(style))
