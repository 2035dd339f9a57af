"""Shipped label maps (`label_maps/*.json`): the default label set and NTU RGB+D 60."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class LabelInfo:
    index: int
    name: str
    color: str | None = None
    hotkey: str | None = None


def available_label_maps() -> list[str]:
    folder = resources.files("videohar.training") / "label_maps"
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))


def load_label_map(name: str = "default") -> tuple[LabelInfo, ...]:
    """Labels in model output order. Raises ValueError for an unknown map name."""
    if name not in available_label_maps():
        raise ValueError(f"unknown label map {name!r}; available: {available_label_maps()}")
    text = (resources.files("videohar.training") / "label_maps" / f"{name}.json").read_text("utf-8")
    labels = tuple(LabelInfo(**entry) for entry in json.loads(text)["labels"])
    if [lab.index for lab in labels] != list(range(len(labels))):
        raise ValueError(f"label map {name!r} is not indexed 0..{len(labels) - 1} in order")
    return labels


def label_names(name: str = "default") -> tuple[str, ...]:
    return tuple(lab.name for lab in load_label_map(name))
