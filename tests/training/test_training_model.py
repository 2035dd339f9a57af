"""The ST-GCN++ model: size, shapes, graph and in-graph features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from videohar.training.features import FEATURE_CHANNELS, SkeletonFeatures
from videohar.training.graph import COCO17_PARENTS, GRAPH_EDGES, hop_distance, spatial_adjacency
from videohar.training.stgcn import ModelConfig, STGCNPlusPlus, count_parameters


def test_default_model_is_about_half_a_million_parameters_and_classifies_windows():
    model = STGCNPlusPlus(8).eval()
    assert 400_000 <= count_parameters(model) <= 700_000
    with torch.no_grad():
        out = model(torch.zeros(3, 3, 48, 17))
    assert out.shape == (3, 8)


def test_parameters_scale_with_width():
    small = count_parameters(STGCNPlusPlus(5, ModelConfig(base_channels=16)))
    assert small < count_parameters(STGCNPlusPlus(5)) / 4


@pytest.mark.parametrize("shape", [(2, 2, 48, 17), (2, 3, 48, 18), (3, 48, 17)])
def test_wrong_input_shape_is_a_clear_error(shape):
    with pytest.raises(ValueError, match=r"expected \(N, 3, T, 17\)"):
        STGCNPlusPlus(4)(torch.zeros(shape))


def test_needs_two_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        STGCNPlusPlus(1)


def test_graph_is_a_connected_tree_with_three_partitions():
    assert len(GRAPH_EDGES) == 16
    assert np.isfinite(hop_distance()).all()
    a = spatial_adjacency()
    assert a.shape == (3, 17, 17)
    np.testing.assert_allclose(a.sum(axis=(0, 1)), 1.0, atol=1e-6)  # column-normalised
    assert np.allclose(a[0], np.diag(np.diag(a[0])))  # subset 0 is the self link


def test_features_are_bones_and_motions_and_ignore_missing_joints():
    x = torch.zeros(1, 3, 4, 17)
    x[0, 0] = torch.arange(17, dtype=torch.float32)  # x coordinate = joint index
    x[0, 1] = 1.0  # (0, 0) means "missing", so keep y off zero
    x[0, 0, 2] += 1.0  # every joint is 1 to the right in frame 2 only
    x[0, 2] = 0.9
    x[0, :, :, 9] = 0.0  # left wrist missing in every frame
    f = SkeletonFeatures()(x)
    assert f.shape == (1, FEATURE_CHANNELS, 4, 17)
    bone_x = f[0, 3, 0]
    for v, p in enumerate(COCO17_PARENTS):
        expected = 0.0 if 9 in (v, p) or v == p else float(v - p)
        assert bone_x[v] == pytest.approx(expected)
    motion_x = f[0, 5, :, 5]
    assert motion_x.tolist() == pytest.approx([0.0, 1.0, -1.0, 0.0])
    assert torch.all(f[0, :, :, 9][[3, 4, 5, 6, 7, 8]] == 0)
