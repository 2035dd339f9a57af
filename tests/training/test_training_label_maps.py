"""Shipped label maps."""

from __future__ import annotations

import re

import pytest

from videohar.training.labels import available_label_maps, label_names, load_label_map


def test_ntu60_is_mmaction2_order():
    names = label_names("ntu60")
    assert len(names) == 60 == len(set(names))
    assert names[0] == "drink water"
    assert names[42] == "falling"
    assert names[59] == "walking apart from each other"


def test_default_set_has_colours_and_unique_hotkeys():
    labels = load_label_map("default")
    assert [lab.name for lab in labels] == [
        "walk", "stand", "sit", "fall", "lying", "hands_up", "running", "other",
    ]  # fmt: skip
    assert all(re.fullmatch(r"#[0-9a-f]{6}", lab.color) for lab in labels)
    hotkeys = [lab.hotkey for lab in labels]
    assert len(set(hotkeys)) == len(hotkeys) and all(len(k) == 1 for k in hotkeys)


def test_unknown_map_is_a_clear_error():
    assert set(available_label_maps()) >= {"default", "ntu60"}
    with pytest.raises(ValueError, match="unknown label map 'nope'"):
        load_label_map("nope")
