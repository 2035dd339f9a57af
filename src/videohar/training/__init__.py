"""Training of skeleton action models (optional `train` extra: torch, matplotlib).

Rooms: `dataset` (labelled windows, splits; numpy), `augment` (numpy), `graph` / `features` /
`stgcn` (the ST-GCN++ model), `train` (loop, checkpoints), `evaluate` (metrics, plots,
comparison), `export` (ONNX with `videohar_spec`), `labels` (shipped label maps). Nothing is
imported here, so `import videohar.training.dataset` works without torch installed.
"""
