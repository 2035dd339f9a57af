"""Generated (not real) skeleton motion as mmaction2 / pyskl annotation pickles, for tests that
need labelled training data fast: importing a pickle is the quickest real way into a dataset."""

from __future__ import annotations

import pickle

import numpy as np


def synthetic_annotations(
    action: str, label: int, n: int, seed: int, *, seconds: float = 4.0, fps: float = 10.0, prefix: str = ""
) -> list[dict]:
    """`n` pyskl annotations of one generated person doing `action`, labelled with index `label`."""
    from videohar.datasets.synthetic import generate_sequence

    rng = np.random.default_rng(seed)
    anns = []
    for i in range(n):
        kps = generate_sequence(action, seconds=seconds, fps=fps, rng=rng)
        anns.append(
            {
                "frame_dir": f"{prefix}{action}{i}",
                "label": label,
                "img_shape": (576, 768),
                "original_shape": (576, 768),
                "total_frames": len(kps),
                "keypoint": kps[None, :, :, :2].astype(np.float32),
                "keypoint_score": kps[None, :, :, 2].astype(np.float32),
            }
        )
    return anns


def annotations_pickle(anns: list[dict]) -> bytes:
    """The pickle `videohar dataset-import` / `POST /datasets/{id}/import` read (all in `train`)."""
    return pickle.dumps({"split": {"train": [a["frame_dir"] for a in anns]}, "annotations": anns})


def synthetic_pickle(action: str, label: int, n: int, seed: int, *, seconds: float = 4.0, fps: float = 10.0) -> bytes:
    """pyskl annotations of generated (not real) skeleton motion of one action."""
    return annotations_pickle(synthetic_annotations(action, label, n, seed, seconds=seconds, fps=fps))


def two_action_pickle(n: int = 6, seed: int = 0, *, actions: tuple[str, str] = ("walk", "fall"), **kw) -> bytes:  # type: ignore[no-untyped-def]
    """`n` sequences each of two actions, labelled 0 and 1: the smallest dataset that trains."""
    anns = synthetic_annotations(actions[0], 0, n, seed, **kw) + synthetic_annotations(actions[1], 1, n, seed + 1, **kw)
    return annotations_pickle(anns)


def labelled_dataset(client, headers: dict[str, str], *, n: int = 6, seed: int = 0, name: str = "moves") -> dict:  # type: ignore[no-untyped-def]
    """A dataset (labels walk, fall, other) with `n` imported generated sequences of each action,
    through the API as a user would build it; the dataset's JSON."""
    r = client.post("/datasets", json={"name": name, "labels": [{"name": "walk"}, {"name": "fall"}]}, headers=headers)
    assert r.status_code == 201, r.text
    dataset = r.json()
    r = client.post(
        f"/datasets/{dataset['id']}/import",
        files={"file": ("moves.pkl", two_action_pickle(n, seed))},
        data={"fps": "10"},
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["clips"] == 2 * n, r.text
    return dataset
