"""Pure geometry of the pose package: crop planning, tiling, merging, matching."""

from __future__ import annotations

import numpy as np

from videohar.vision.pose.evaluation import Matches, match_boxes
from videohar.vision.pose.merge import merge_people
from videohar.vision.pose.movenet import input_size_for
from videohar.vision.pose.regions import plan_crops, tile_grid
from videohar.vision.types import Person


def _person(box: list[float], score: float) -> Person:
    return Person(box=box, score=score, keypoints=np.zeros((17, 3)))


def test_plan_crops_holds_every_proposal() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 700, size=(25, 2)) * [1, 0.75]
    proposals = np.concatenate([xy, xy + rng.uniform(20, 120, size=(25, 2))], axis=1)
    proposals = np.vstack([proposals, [[100, 100, 400, 500]]])  # bigger than a crop
    crops = plan_crops(proposals, (576, 768), size=160, margin=0)
    assert len(crops) < len(proposals)
    for x0, y0, x1, y1 in crops:
        assert 0 <= x0 < x1 <= 768 and 0 <= y0 < y1 <= 576
    for box in np.clip(proposals, 0, [768, 576, 768, 576]):
        assert any(c[0] <= box[0] and c[1] <= box[1] and c[2] >= box[2] and c[3] >= box[3] for c in crops)
    assert plan_crops(np.zeros((0, 4)), (576, 768), 160) == []


def test_tile_grid_covers_frame() -> None:
    tiles = tile_grid((576, 768), 160)
    covered = np.zeros((576, 768), bool)
    for x0, y0, x1, y1 in tiles:
        covered[y0:y1, x0:x1] = True
        assert x1 - x0 == 160 and y1 - y0 == 160
    assert covered.all()


def test_merge_drops_duplicates_and_fragments_keeps_neighbours() -> None:
    people = [
        _person([100, 100, 140, 200], 0.6),
        _person([102, 98, 141, 203], 0.4),  # duplicate from an overlapping crop
        _person([100, 150, 140, 200], 0.3),  # legs only: a fragment inside the first
        _person([138, 100, 178, 200], 0.5),  # a neighbour, touching
    ]
    kept = merge_people(people)
    assert [p.score for p in kept] == [0.6, 0.5]


def test_match_boxes_is_one_to_one() -> None:
    ref = [[0, 0, 10, 20], [30, 0, 40, 20]]
    assert match_boxes([[0, 0, 10, 20], [1, 0, 11, 20]], ref, 0.5) == Matches(1, 1, 1)
    assert match_boxes([], ref, 0.5).recall == 0.0
    assert match_boxes([[30, 0, 40, 21]], ref, 0.5).precision == 1.0


def test_input_size_follows_aspect() -> None:
    assert input_size_for((576, 768), 512) == (384, 512)
    assert input_size_for((1080, 1920), 384) == (224, 384)
    assert input_size_for((768, 576), 512) == (512, 384)
