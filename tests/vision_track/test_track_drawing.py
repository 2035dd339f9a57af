"""Drawing: shape and dtype kept, pixels change where people and areas are, safe with any text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from videohar.vision.drawing import (
    DrawArea,
    DrawStyle,
    Header,
    annotate,
    parse_color,
    safe_text,
    track_color,
)
from videohar.vision.geometry import rect_to_polygon
from videohar.vision.types import TrackedPerson

H, W = 576, 768


def _frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(60, 120, size=(H, W, 3), dtype=np.uint8)


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(axis=2)


def test_returns_a_copy_with_same_shape_and_dtype_and_leaves_input_alone(make_person):
    frame = _frame()
    before = frame.copy()
    person = TrackedPerson(track_id=7, person=make_person(300, 300), labels={"fall": 0.92})
    out = annotate(frame, [person], header=Header("cam", 0.0, 10.0))
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(frame, before)
    assert not np.array_equal(out, frame)


def test_inplace_draws_into_the_given_frame(make_person):
    frame = _frame()
    out = annotate(frame, [TrackedPerson(1, make_person(300, 300))], inplace=True)
    assert out is frame


def test_pixels_change_where_the_person_is_and_not_far_away(make_person):
    frame = _frame()
    person = make_person(300, 300, h=120)
    out = annotate(frame, [TrackedPerson(3, person)])
    changed = _changed(out, frame)
    x0, y0, x1, y1 = (int(v) for v in person.box)
    assert changed[y0 - 2 : y1 + 3, x0 - 2 : x1 + 3].sum() > 200  # box, bones, joints
    assert changed[y0 + 30, x0 : x1 + 1].any()  # the box edge or a bone crosses this row
    assert not changed[:, 500:].any()
    assert not changed[400:, :].any()


def test_skeleton_skips_low_confidence_joints(make_person):
    frame = _frame()
    person = make_person(300, 300, h=160)
    confident = annotate(frame, [TrackedPerson(1, person)])
    person.keypoints[:, 2] = 0.05
    hidden = annotate(frame, [TrackedPerson(1, person)])
    inner = (
        slice(int(person.box[1]) + 20, int(person.box[3]) - 3),
        slice(int(person.box[0]) + 3, int(person.box[2]) - 3),
    )
    assert _changed(confident, frame)[inner].sum() > 50
    assert _changed(hidden, frame)[inner].sum() == 0  # only the box outline and caption remain


def test_labels_change_the_caption(make_person):
    frame = _frame()
    person = make_person(300, 300)
    plain = annotate(frame, [TrackedPerson(1, person)])
    labelled = annotate(frame, [TrackedPerson(1, person, labels={"fall": 0.92, "lying": 0.1})])
    above = slice(0, int(person.box[1]))
    assert _changed(labelled, frame)[above].sum() > _changed(plain, frame)[above].sum()
    low_only = annotate(frame, [TrackedPerson(1, person, labels={"lying": 0.1})])
    assert np.array_equal(low_only, plain)  # scores under the threshold are not shown


def test_works_with_no_people_and_the_header_still_updates():
    frame = _frame()
    a = annotate(frame, [], header=Header("Gate", dt.datetime(2026, 1, 1, 12, 0, 0), 10.0))
    b = annotate(frame, [], header=Header("Gate", dt.datetime(2026, 1, 1, 12, 0, 1), 10.0))
    assert not np.array_equal(a, frame)
    assert not np.array_equal(a, b)  # the clock moves with nobody in view
    assert not _changed(a, frame)[40:].any()  # only the header band is touched
    assert np.array_equal(annotate(frame), frame)


def test_area_fill_is_semi_transparent_and_only_inside_the_polygon():
    frame = np.full((H, W, 3), 100, np.uint8)
    area = DrawArea("door", rect_to_polygon({"x": 100, "y": 200, "width": 200, "height": 150}), (0, 0, 255))
    out = annotate(frame, areas=[area], style=DrawStyle(area_alpha=0.5))
    inside = out[300, 200]
    assert inside[2] > 150 and inside[0] < 100 and inside[0] > 0  # blended, not painted over
    assert np.array_equal(out[500, 600], frame[500, 600])
    assert np.array_equal(out[300, 50], frame[300, 50])


@pytest.mark.parametrize(
    "name",
    ["", "入口", "Café — Eingang ✓", "a\x00b\nc\td", "x" * 500, "<script>alert(1)</script>", "😀" * 30],
)
def test_any_area_or_camera_name_is_drawn_without_error(name):
    frame = _frame()
    polygon = np.array([[10, 300], [200, 320], [120, 500]], np.float32)
    out = annotate(frame, areas=[DrawArea(name, polygon)], header=Header(name, 0.0, 5.0))
    assert out.shape == frame.shape


def test_safe_text_is_printable_ascii_and_bounded():
    assert safe_text("Café") == "Cafe"
    assert safe_text("入口") == "??"
    assert safe_text("a\x00b\nc") == "a?b c"
    long = safe_text("x" * 500, max_len=40)
    assert len(long) == 40 and long.endswith("~")
    assert all(" " <= c <= "~" for c in safe_text("😀 Ünïcode ✓ \x7f"))


def test_weird_geometry_and_values_do_not_crash(make_person):
    frame = _frame()
    p = make_person(300, 300)
    p.keypoints[3, :2] = np.nan
    p.keypoints[4, :2] = 1e12
    off = make_person(-500, 5000)
    areas = [
        DrawArea("two points", np.array([[0, 0], [10, 10]], np.float32)),
        DrawArea("nan", np.array([[0, 0], [np.nan, 10], [5, 5]], np.float32)),
        DrawArea("huge", np.array([[-1e9, -1e9], [1e9, 0], [0, 1e9]], np.float32)),
        DrawArea("outside", np.array([[2000, 2000], [2100, 2000], [2100, 2100]], np.float32)),
    ]
    header = Header("cam", float("nan"), float("inf"), people=3)
    out = annotate(frame, [TrackedPerson(1, p), TrackedPerson(2, off), p], areas=areas, header=header)
    assert out.shape == frame.shape


def test_colours():
    assert parse_color("#ff0000") == (0, 0, 255)
    assert parse_color("0f0") == (0, 255, 0)
    assert parse_color("not a colour", default=(1, 2, 3)) == (1, 2, 3)
    assert parse_color([300, -5, 10]) == (255, 0, 10)
    assert parse_color(None) == (0, 200, 255)
    assert track_color(1) != track_color(2)
    assert track_color(5) == track_color(5)


def test_rejects_non_frames():
    with pytest.raises(ValueError):
        annotate(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        annotate(np.zeros((10, 10, 3), np.float32))
