"""Compact ST-GCN++ (pyskl's design: unit GCN with a learnable adjacency offset and
multi-scale temporal convolution with dilations) for (N, 3, T, 17) skeleton windows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from videohar.training.features import FEATURE_CHANNELS, IN_CHANNELS, SkeletonFeatures
from videohar.training.graph import NUM_JOINTS, spatial_adjacency


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Architecture. Default: pyskl's ST-GCN++ layout (10 stages, channels doubled at stages
    5 and 8) at 40 instead of 64 base channels (0.55 M parameters), with time also halved at
    stage 2: 48-frame windows at 16 fps are short, and it halves the CPU cost (203 vs 379
    MFLOPs per window)."""

    base_channels: int = 40
    num_stages: int = 10
    inflate_stages: tuple[int, ...] = (5, 8)
    down_stages: tuple[int, ...] = (2, 5, 8)
    dropout: float = 0.3
    tcn_dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = dict(d)
        for k in ("inflate_stages", "down_stages"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


class UnitGCN(nn.Module):
    """Graph convolution over K adjacency subsets; A = fixed spatial partitions + learned offset."""

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor) -> None:
        super().__init__()
        self.num_subsets = adjacency.shape[0]
        self.register_buffer("A", adjacency.clone())
        self.PA = nn.Parameter(torch.zeros_like(adjacency))
        self.conv = nn.Conv2d(in_channels, out_channels * self.num_subsets, 1)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()
        self.down: nn.Module = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        res = self.down(x)
        y = self.conv(x).view(n, self.num_subsets, -1, t, v)
        y = torch.einsum("nkctv,kvw->nctw", y, self.A + self.PA).contiguous()
        return self.act(self.bn(y) + res)


class UnitTCN(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int = 9, stride: int = 1, dilation: int = 1):
        super().__init__()
        pad = (kernel + (kernel - 1) * (dilation - 1) - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, out_channels, (kernel, 1), padding=(pad, 0), stride=(stride, 1), dilation=(dilation, 1)
        )
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class MultiScaleTCN(nn.Module):
    """Branches: 3x1 convs with dilation 1-4, a max-pool branch and a 1x1 branch, then fuse."""

    def __init__(self, channels: int, stride: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        n_branches = 6
        mid = channels // n_branches
        first = channels - mid * (n_branches - 1)
        widths = [first] + [mid] * (n_branches - 1)
        branches: list[nn.Module] = []
        for dilation, w in zip((1, 2, 3, 4), widths[:4], strict=True):
            branches.append(
                nn.Sequential(
                    nn.Conv2d(channels, w, 1),
                    nn.BatchNorm2d(w),
                    nn.ReLU(),
                    UnitTCN(w, w, kernel=3, stride=stride, dilation=dilation),
                )
            )
        branches.append(
            nn.Sequential(
                nn.Conv2d(channels, widths[4], 1),
                nn.BatchNorm2d(widths[4]),
                nn.ReLU(),
                nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)),
            )
        )
        branches.append(nn.Conv2d(channels, widths[5], 1, stride=(stride, 1)))
        self.branches = nn.ModuleList(branches)
        self.transform = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, channels, 1))
        self.bn = nn.BatchNorm2d(channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([b(x) for b in self.branches], dim=1)
        return self.drop(self.bn(self.transform(y)))


class STGCNBlock(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: torch.Tensor,
        stride: int = 1,
        residual: bool = True,
        tcn_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.gcn = UnitGCN(in_channels, out_channels, adjacency)
        self.tcn = MultiScaleTCN(out_channels, stride=stride, dropout=tcn_dropout)
        self.residual: nn.Module | None
        if not residual:
            self.residual = None
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = UnitTCN(in_channels, out_channels, kernel=1, stride=stride)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return self.act(y)


class STGCNPlusPlus(nn.Module):
    """(N, 3, T, V) normalised window (x, y, score) -> (N, num_classes) logits."""

    def __init__(self, num_classes: int, config: ModelConfig | None = None, num_joints: int = NUM_JOINTS):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"need at least 2 classes, got {num_classes}")
        cfg = config or ModelConfig()
        self.config = cfg
        self.num_classes = num_classes
        self.num_joints = num_joints
        adjacency = torch.from_numpy(spatial_adjacency(num_joints))
        self.features = SkeletonFeatures()
        self.data_bn = nn.BatchNorm1d(FEATURE_CHANNELS * num_joints)
        blocks: list[nn.Module] = []
        in_c = FEATURE_CHANNELS
        out_c = cfg.base_channels
        for stage in range(1, cfg.num_stages + 1):
            if stage in cfg.inflate_stages:
                out_c *= 2
            stride = 2 if stage in cfg.down_stages else 1
            blocks.append(STGCNBlock(in_c, out_c, adjacency, stride, residual=stage > 1, tcn_dropout=cfg.tcn_dropout))
            in_c = out_c
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(in_c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != IN_CHANNELS or x.shape[3] != self.num_joints:
            raise ValueError(f"expected (N, {IN_CHANNELS}, T, {self.num_joints}), got {tuple(x.shape)}")
        f = self.features(x)
        n, c, t, v = f.shape
        f = self.data_bn(f.permute(0, 3, 1, 2).reshape(n, v * c, t))
        f = f.reshape(n, v, c, t).permute(0, 2, 3, 1).contiguous()
        f = self.blocks(f)
        f = f.mean(dim=(2, 3))
        return self.fc(self.drop(f))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
