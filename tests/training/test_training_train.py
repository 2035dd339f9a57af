"""Training: learns the generated actions, is deterministic, resumes, cancels, refuses bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from videohar.training.dataset import WindowSet, split_windows
from videohar.training.evaluate import evaluate
from videohar.training.train import (
    CHECKPOINT_NAME,
    TrainConfig,
    TrainingCancelled,
    load_checkpoint_model,
    train,
)

from .conftest import ACTIONS, SMALL_SPEC


def test_trained_model_beats_chance_by_a_wide_margin_on_held_out_sequences(trained, small_windows):
    _, held_out = small_windows
    report = evaluate(trained, held_out)
    chance = 1 / len(ACTIONS)
    assert report.accuracy >= 2.5 * chance, report
    assert len(trained.history) == trained.config.epochs
    assert trained.history[-1].train_loss < trained.history[0].train_loss


@pytest.fixture(scope="module")
def mini(small_windows):
    """A few windows: enough to exercise the loop quickly."""
    train_ws, _ = split_windows(small_windows[0], 0.2, seed=0)
    rng = np.random.default_rng(0)
    return train_ws.subset(rng.choice(len(train_ws), 48, replace=False)), small_windows[1].subset(range(0, 60, 3))


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.state_dict().values() if p.dtype.is_floating_point])


def test_resume_after_a_crash_continues_the_epoch_count_and_matches_an_uninterrupted_run(mini, tiny_config, tmp_path):
    config = dataclasses.replace(tiny_config, epochs=3, batch_size=16)
    straight = train(config, *mini, checkpoint_dir=tmp_path / "straight")

    seen: list[int] = []

    def crash_after_two(stats):
        seen.append(stats.epoch)
        if stats.epoch == 2:
            raise KeyboardInterrupt  # the process dies after the epoch-2 checkpoint was written

    starts: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        train(config, *mini, progress_cb=crash_after_two, checkpoint_dir=tmp_path / "crashed", start_cb=starts.append)
    resumed = train(
        config,
        *mini,
        progress_cb=lambda s: seen.append(s.epoch),
        checkpoint_dir=tmp_path / "crashed",
        start_cb=starts.append,
    )
    assert seen == [1, 2, 3] and starts == [0, 2]
    assert resumed.resumed_from_epoch == 2
    assert [h.epoch for h in resumed.history] == [1, 2, 3]
    assert torch.equal(_weights(resumed.model), _weights(straight.model))

    model, labels, spec = load_checkpoint_model(tmp_path / "crashed" / CHECKPOINT_NAME)
    assert labels == ACTIONS and spec == SMALL_SPEC
    assert torch.equal(_weights(model), _weights(resumed.model))


def test_checkpoint_from_another_config_or_data_is_refused(mini, tiny_config, tmp_path):
    config = dataclasses.replace(tiny_config, epochs=1, batch_size=16)
    train(config, *mini, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="another config"):
        train(dataclasses.replace(config, lr=1e-2), *mini, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="other data"):
        train(config, mini[0].subset(range(40)), mini[1], checkpoint_dir=tmp_path)
    # the thread count belongs to the machine the run continues on, not to what is trained
    starts: list[int] = []
    done = train(dataclasses.replace(config, num_threads=3), *mini, checkpoint_dir=tmp_path, start_cb=starts.append)
    assert starts == [1] and done.resumed_from_epoch == 1


def test_cancel_stops_within_an_epoch_and_keeps_the_last_checkpoint(mini, tiny_config, tmp_path):
    config = dataclasses.replace(tiny_config, epochs=5, batch_size=16)
    progress = []
    with pytest.raises(TrainingCancelled) as info:
        train(config, *mini, progress_cb=progress.append, should_cancel=lambda: len(progress) >= 1,
              checkpoint_dir=tmp_path)  # fmt: skip
    assert info.value.epochs_completed == 1
    assert [p.epoch for p in progress] == [1]
    assert torch.load(tmp_path / CHECKPOINT_NAME, weights_only=False)["epoch"] == 1
    assert progress[0].eta_s > 0 and progress[0].val_accuracy is not None


def test_bad_input_is_a_clear_error(mini, tiny_config):
    train_ws, val_ws = mini
    empty = train_ws.subset([])
    with pytest.raises(ValueError, match="training set is empty"):
        train(tiny_config, empty, val_ws)
    one_class = train_ws.subset(np.flatnonzero(train_ws.y == 0))
    with pytest.raises(ValueError, match="at least 2 classes"):
        train(tiny_config, one_class, val_ws)
    relabelled = WindowSet(val_ws.x, val_ws.y, tuple(reversed(ACTIONS)), val_ws.clip_ids, val_ws.groups, val_ws.spec)
    with pytest.raises(ValueError, match="different labels"):
        train(tiny_config, train_ws, relabelled)
    with pytest.raises(ValueError, match="balance"):
        TrainConfig(balance="oversample")


def test_config_round_trips_through_json_types(tiny_config):
    import json

    assert TrainConfig.from_dict(json.loads(json.dumps(tiny_config.to_dict()))) == tiny_config


def test_balanced_sampling_recipe_runs_and_reports_every_epoch(mini, tiny_config):
    config = dataclasses.replace(tiny_config, epochs=2, batch_size=16, balance="sampler")
    stats = []
    result = train(config, mini[0], None, progress_cb=stats.append)
    assert [s.epoch for s in stats] == [1, 2] and stats[-1].eta_s == 0.0
    assert stats[0].val_accuracy is None and result.best_epoch == 2  # no validation: the last epoch
