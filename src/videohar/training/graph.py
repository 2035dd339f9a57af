"""COCO-17 skeleton graph for the ST-GCN++ model (numpy only, no torch).

Spatial partitioning (Yan et al., ST-GCN): each joint's neighbours are split into
itself, neighbours nearer the body centre (centripetal) and farther (centrifugal).
"""

from __future__ import annotations

import numpy as np

from videohar.vision.types import COCO17

NUM_JOINTS = len(COCO17)
CENTER = 0
"""Graph root for hop distances (pyskl's COCO layout uses the nose)."""

COCO17_PARENTS = (0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14)
"""Parent of each joint (root points at itself); bone v = joint v - joint parent[v].

Same tree as pyskl's `coco` layout: unlike the drawing edges, shoulders hang from the
nose so the graph is connected.
"""

GRAPH_EDGES = tuple((v, p) for v, p in enumerate(COCO17_PARENTS) if v != p)


def hop_distance(num_nodes: int = NUM_JOINTS, edges=GRAPH_EDGES) -> np.ndarray:
    """Shortest-path hops between joints (inf where unreachable)."""
    adj = np.eye(num_nodes, dtype=bool)
    for i, j in edges:
        adj[i, j] = adj[j, i] = True
    hops = np.full((num_nodes, num_nodes), np.inf)
    reach = np.eye(num_nodes, dtype=bool)
    hops[reach] = 0
    step = reach
    for d in range(1, num_nodes):
        step = (step.astype(np.int64) @ adj.astype(np.int64)) > 0
        new = step & np.isinf(hops)
        if not new.any():
            break
        hops[new] = d
    return hops


def _normalize_columns(a: np.ndarray) -> np.ndarray:
    deg = a.sum(axis=0)
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1e-12), 0.0)
    return a * inv[None, :]


def spatial_adjacency(num_nodes: int = NUM_JOINTS, edges=GRAPH_EDGES, center: int = CENTER) -> np.ndarray:
    """(3, V, V) adjacency: self links, centripetal and centrifugal neighbours, column-normalised."""
    hops = hop_distance(num_nodes, edges)
    link = (hops <= 1).astype(np.float64)
    norm = _normalize_columns(link)
    to_center = hops[:, center]
    a = np.zeros((3, num_nodes, num_nodes), dtype=np.float32)
    for i in range(num_nodes):
        for j in range(num_nodes):
            if hops[j, i] == 0:
                a[0, j, i] = norm[j, i]
            elif hops[j, i] == 1:
                if to_center[j] < to_center[i]:
                    a[1, j, i] = norm[j, i]
                else:
                    a[2, j, i] = norm[j, i]
    return a
