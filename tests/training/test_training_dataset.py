"""Windows from labelled segments, the `other` class, splits without leakage, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from videohar.actions.windows import WindowSpec
from videohar.datasets.synthetic import generate_sequence
from videohar.training.dataset import (
    ClipTracks,
    Segment,
    TrackSeries,
    WindowSet,
    build_windows,
    class_weights,
    concat,
    split_windows,
)

from .conftest import ACTIONS, SMALL_SPEC, synthetic_clips


def _clip(seconds=12.0, fps=10.0, seed=0):
    """One clip, two people: track 1 walks then falls, track 7 stands."""
    rng = np.random.default_rng(seed)
    walk = generate_sequence("walk", seconds=seconds / 2, fps=fps, rng=rng)
    fall = generate_sequence("fall", seconds=seconds / 2, fps=fps, rng=rng)
    stand = generate_sequence("stand", seconds=seconds, fps=fps, rng=rng)
    one = np.concatenate([walk, fall])
    frames = [[(1, one[i]), (7, stand[i])] for i in range(len(one))]
    return ClipTracks.from_frames("clip-a", fps, frames, group="cam1")


def test_windows_from_segments_are_resampled_and_normalised():
    clip = _clip()
    segments = [Segment("clip-a", 1, 0, 60, "walk"), Segment("clip-a", 1, 60, 120, "fall")]
    ws = build_windows([clip], segments, ["walk", "fall", "stand"], spec=SMALL_SPEC, stride_s=0.5)
    assert ws.x.shape[1:] == (16, 17, 3)
    # 6 s segments, windows of 15/8 s sliding by 0.5 s
    assert ws.class_counts().tolist() == [9, 9, 0]
    hips = ws.x[:, :, 11:13, :2].mean(axis=2)
    assert np.abs(hips).max() < 0.2  # centred on the mid-hip
    assert set(ws.clip_ids) == {"clip-a"} and set(ws.groups) == {"cam1"}


def test_short_segment_gets_one_centred_window_and_other_comes_from_unlabelled_time():
    clip = _clip()
    segments = [Segment("clip-a", 1, 70, 80, "fall")]  # one second
    ws = build_windows([clip], segments, ["fall", "other"], spec=SMALL_SPEC, other_label="other",
                       other_stride_s=1.0, max_other_ratio=100.0)  # fmt: skip
    counts = ws.class_counts()
    assert counts[0] == 1
    # track 1: 0..6.5 s and 8.5..11.9 s unlabelled; track 7: all 11.9 s unlabelled
    assert counts[1] == 5 + 2 + 11
    capped = build_windows([clip], segments, ["fall", "other"], spec=SMALL_SPEC, other_label="other")
    assert capped.class_counts().tolist() == [1, 1]


@pytest.mark.parametrize(
    ("segment", "labels", "message"),
    [
        (Segment("clip-a", 1, 0, 50, "dance"), ["walk", "fall"], "segment label 'dance'"),
        (Segment("nope", 1, 0, 50, "walk"), ["walk", "fall"], "unknown clip"),
        (Segment("clip-a", 3, 0, 50, "walk"), ["walk", "fall"], "unknown track 3"),
        (Segment("clip-a", 1, 50, 50, "walk"), ["walk", "fall"], "end_frame must be > start_frame"),
        (Segment("clip-a", 1, 0, 50, "walk"), ["walk"], "at least 2 distinct"),
        (Segment("clip-a", 1, 0, 50, "walk"), ["walk", "walk"], "at least 2 distinct"),
    ],
)
def test_bad_segments_are_clear_errors(segment, labels, message):
    with pytest.raises(ValueError, match=message):
        build_windows([_clip()], [segment], labels, spec=SMALL_SPEC)


def test_no_segments_is_an_error_and_other_label_must_be_known():
    with pytest.raises(ValueError, match="no windows"):
        build_windows([_clip()], [], ["walk", "fall"], spec=SMALL_SPEC)
    with pytest.raises(ValueError, match="other_label 'other'"):
        build_windows([_clip()], [], ["walk", "fall"], spec=SMALL_SPEC, other_label="other")


def test_bad_tracks_and_windows_are_clear_errors():
    with pytest.raises(ValueError, match=r"keypoints must be \(3, 17, 3\)"):
        TrackSeries(np.arange(3), np.zeros((3, 17, 2)))
    with pytest.raises(ValueError, match="strictly increasing"):
        TrackSeries(np.array([0, 2, 1]), np.zeros((3, 17, 3)))
    with pytest.raises(ValueError, match="fps must be > 0"):
        ClipTracks("c", 0.0, {})
    with pytest.raises(ValueError, match=r"shape \(N, T, V, C\) = \(2, 48, 17, 3\)"):
        WindowSet.from_arrays(np.zeros((2, 16, 17, 3)), [0, 1], ["a", "b"])
    with pytest.raises(ValueError, match="label indices"):
        WindowSet.from_arrays(np.zeros((2, 48, 17, 3)), [0, 2], ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        WindowSet.from_arrays(np.full((1, 48, 17, 3), np.nan), [0], ["a", "b"])


@pytest.mark.parametrize("by", ["clip", "group"])
def test_split_keeps_each_clip_or_group_in_one_split(by):
    clips, segments = synthetic_clips(4, seed=3, seconds=3.0)
    ws = build_windows(clips, segments, ACTIONS, spec=SMALL_SPEC)
    train, val = split_windows(ws, 0.25, by=by, seed=1)
    assert len(train) + len(val) == len(ws)
    key = "clip_ids" if by == "clip" else "groups"
    assert not set(getattr(train, key)) & set(getattr(val, key))
    assert 0.1 < len(val) / len(ws) < 0.6
    assert (val.class_counts() > 0).all()  # every class is validated where possible
    again = split_windows(ws, 0.25, by=by, seed=1)[1]
    np.testing.assert_array_equal(again.x, val.x)


@pytest.mark.parametrize("seed", range(8))
def test_split_never_takes_the_only_clip_of_a_class_into_validation(seed):
    """One recorded clip of "walk" beside ten imported clips of "lie": walk must be in training."""
    y = [0, 0] + [1] * 30
    clip_ids = ["recorded", "recorded"] + [f"imported{i // 3}" for i in range(30)]
    ws = WindowSet.from_arrays(np.zeros((32, 16, 17, 3)), y, ["walk", "lie"], clip_ids=clip_ids, spec=SMALL_SPEC)
    train, val = split_windows(ws, 0.2, seed=seed)
    assert train.class_counts().tolist() == [2, 30 - len(val)]
    assert len(val) > 0 and "recorded" not in set(val.clip_ids)


def test_unevenly_timed_frames_give_windows_at_the_real_speed():
    """A recording keeps capture times (a slow first frame, then drops): windows must match the motion as it
    happened, the way a live worker resamples it, not the frames spread evenly at the mean rate."""
    rng = np.random.default_rng(5)
    seq = generate_sequence("walk", seconds=8.0, fps=20.0, rng=rng)  # the truth, every 50 ms
    keep = np.r_[0, np.arange(16, 80, 2), np.arange(80, 160, 4)]  # a 0.8 s gap, then 10 fps, then 5 fps
    times = keep / 20.0
    frames = [[(1, seq[i])] for i in keep]
    segments = [Segment("c", 1, 0, len(keep), "walk")]
    labels = ["wave", "walk"]

    def windows(clip: ClipTracks) -> np.ndarray:
        return build_windows([clip], segments, labels, spec=SMALL_SPEC, stride_s=0.5).x

    truth = build_windows(
        [ClipTracks.from_frames("c", 20.0, [[(1, k)] for k in seq])],
        [Segment("c", 1, 0, len(seq), "walk")],
        labels,
        spec=SMALL_SPEC,
        stride_s=0.5,
    ).x
    timed = windows(ClipTracks.from_frames("c", len(keep) / 8.0, frames, times=times))
    evenly = windows(ClipTracks.from_frames("c", (len(keep) - 1) / times[-1], frames))  # index / mean fps
    n = min(len(truth), len(timed))
    err_timed = np.abs(timed[:n] - truth[:n]).mean()
    err_even = np.abs(evenly[: min(n, len(evenly))] - truth[: min(n, len(evenly))]).mean()
    assert err_timed < 0.5 * err_even, (err_timed, err_even)
    with pytest.raises(ValueError, match="strictly increasing"):
        ClipTracks.from_frames("c", 10.0, frames, times=times[::-1])


def test_split_needs_two_groups():
    ws = WindowSet.from_arrays(np.zeros((4, 16, 17, 3)), [0, 1, 0, 1], ["a", "b"], clip_ids=["c"] * 4,
                               spec=SMALL_SPEC)  # fmt: skip
    with pytest.raises(ValueError, match="at least 2 distinct clips"):
        split_windows(ws)


def test_class_weights_balance_the_loss():
    w = class_weights(np.array([0, 0, 0, 1]), 3)
    assert w[2] == 0 and w[1] == pytest.approx(3 * w[0])
    assert w[:2].mean() == pytest.approx(1.0)


def test_save_load_and_concat_round_trip(tmp_path):
    clips, segments = synthetic_clips(1, seed=4)
    ws = build_windows(clips, segments, ACTIONS, spec=SMALL_SPEC)
    ws.save(tmp_path / "w.npz")
    back = WindowSet.load(tmp_path / "w.npz")
    np.testing.assert_array_equal(back.x, ws.x)
    assert back.labels == ws.labels and back.spec == ws.spec and back.fingerprint() == ws.fingerprint()
    both = concat([ws, back])
    assert len(both) == 2 * len(ws)
    with pytest.raises(ValueError, match="different labels"):
        concat([ws, WindowSet.from_arrays(np.zeros((1, 48, 17, 3)), [0], ["x", "y"], spec=WindowSpec())])
