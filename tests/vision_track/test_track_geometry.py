"""Geometry: IoU, OKS, polygons (convex, concave, normalised), foot points, focus-area filtering."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from videohar.vision.geometry import (
    area_membership,
    area_to_pixels,
    foot_point,
    iou_matrix,
    oks_matrix,
    people_in_areas,
    point_in_polygon,
    points_in_polygon,
    rect_to_polygon,
)

# A "U" shape: the notch between the arms (x 40..60, y 0..60) is outside.
U_SHAPE = np.array([[0, 0], [40, 0], [40, 60], [60, 60], [60, 0], [100, 0], [100, 100], [0, 100]], np.float32)


def test_iou_matrix_known_values_and_shapes():
    a = np.array([[0, 0, 10, 10], [0, 0, 20, 20]], np.float32)
    b = np.array([[5, 5, 15, 15], [100, 100, 110, 110], [0, 0, 10, 10]], np.float32)
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 3)
    assert iou[0, 0] == pytest.approx(25 / 175)
    assert iou[0, 1] == 0
    assert iou[0, 2] == pytest.approx(1.0)
    assert iou[1, 2] == pytest.approx(100 / 400)
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 3)
    degenerate = iou_matrix([[5, 5, 5, 5]], [[5, 5, 5, 5]])
    assert degenerate[0, 0] == 0 and np.isfinite(degenerate).all()


def test_oks_is_one_for_identical_skeletons_falls_with_distance_and_nan_when_unseen(make_person):
    p = make_person(100, 100)
    moved = p.keypoints.copy()
    moved[:, 0] += 10
    area = np.array([40.0 * 100.0])
    oks = oks_matrix(p.keypoints[None], np.stack([p.keypoints, moved]), area)
    assert oks[0, 0] == pytest.approx(1.0)
    assert 0 < oks[0, 1] < 0.9
    far = moved.copy()
    far[:, 0] += 50
    assert oks_matrix(p.keypoints[None], far[None], area)[0, 0] < oks[0, 1]
    hidden = p.keypoints.copy()
    hidden[:, 2] = 0.05
    assert np.isnan(oks_matrix(p.keypoints[None], hidden[None], area)[0, 0])


def test_oks_counts_only_joints_confident_in_both(make_person):
    p = make_person(100, 100)
    other = p.keypoints.copy()
    other[5:, 2] = 0.0  # only the face is seen ...
    other[5:, :2] += 80  # ... and the hidden joints are garbage
    oks = oks_matrix(p.keypoints[None], other[None], np.array([4000.0]))
    assert oks[0, 0] == pytest.approx(1.0)


def test_rect_to_polygon_and_containment():
    poly = rect_to_polygon({"x": 10, "y": 20, "width": 30, "height": 40})
    assert poly.tolist() == [[10, 20], [40, 20], [40, 60], [10, 60]]
    inside = points_in_polygon(np.array([[25, 40], [5, 40], [25, 70], [39.9, 59.9]]), poly)
    assert inside.tolist() == [True, False, False, True]


def test_concave_polygon_excludes_its_notch():
    assert point_in_polygon((20, 30), U_SHAPE)  # left arm
    assert point_in_polygon((80, 30), U_SHAPE)  # right arm
    assert not point_in_polygon((50, 30), U_SHAPE)  # in the notch
    assert point_in_polygon((50, 80), U_SHAPE)  # below the notch
    assert not point_in_polygon((150, 50), U_SHAPE)


def test_point_in_polygon_agrees_with_opencv_on_random_points():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-10, 110, size=(2000, 2))
    ours = points_in_polygon(pts, U_SHAPE)
    contour = U_SHAPE.reshape(-1, 1, 2)
    theirs = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in pts])
    clear = np.abs(theirs) > 1e-6  # boundary points may go either way
    assert (ours[clear] == (theirs[clear] > 0)).all()


def test_degenerate_polygons_contain_nothing():
    assert not points_in_polygon(np.array([[0, 0]]), np.array([[0, 0], [10, 10]])).any()
    assert points_in_polygon(np.zeros((0, 2)), U_SHAPE).shape == (0,)


def test_normalised_and_pixel_areas_mean_the_same_region():
    normalised = [[0.25, 0.5], [0.75, 0.5], [0.75, 1.0], [0.25, 1.0]]
    pixels = area_to_pixels(normalised, 800, 600, normalized=True)
    assert pixels.tolist() == [[200, 300], [600, 300], [600, 600], [200, 600]]
    same = area_to_pixels(pixels, 800, 600, normalized=False)
    assert np.array_equal(same, pixels)
    assert point_in_polygon((400, 450), pixels)
    assert not point_in_polygon((400, 250), pixels)
    # The same normalised area follows a camera whose resolution changes.
    assert point_in_polygon((200, 225), area_to_pixels(normalised, 400, 300, normalized=True))


def test_foot_point_prefers_ankles_then_box_bottom(make_person):
    p = make_person(100, 200, h=100)
    assert foot_point(p) == pytest.approx(p.keypoints[15:17, :2].mean(axis=0))
    p.keypoints[15, 2] = 0.0
    assert foot_point(p) == pytest.approx(p.keypoints[16, :2])
    p.keypoints[16, 2] = 0.0
    assert foot_point(p) == pytest.approx([100, 250])


def test_people_outside_all_areas_are_ignored_and_no_areas_means_everyone(make_person):
    near_door = make_person(100, 100)  # feet at y ~ 148
    in_yard = make_person(500, 400)
    nowhere = make_person(700, 100)
    door = rect_to_polygon({"x": 50, "y": 120, "width": 100, "height": 60})
    yard = area_to_pixels([[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]], 800, 600, normalized=True)
    people = [near_door, in_yard, nowhere]
    assert people_in_areas(people, [door, yard]).tolist() == [True, True, False]
    assert area_membership(people, [door, yard]).tolist() == [[True, False], [False, True], [False, False]]
    assert people_in_areas(people, []).tolist() == [True, True, True]
    assert people_in_areas([], [door]).shape == (0,)


def test_area_membership_uses_the_feet_not_the_box_centre(make_person):
    p = make_person(100, 100, h=100)  # box 50..150 in y, feet ~147
    floor_strip = rect_to_polygon({"x": 0, "y": 130, "width": 200, "height": 40})
    assert people_in_areas([p], [floor_strip]).tolist() == [True]
    assert not point_in_polygon((100, 100), floor_strip)
