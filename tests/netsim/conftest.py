"""A small TensorFlow.js-shaped model folder for the netsim tests (synthetic bytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest


def _make_model(folder: Path, shard_sizes: list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [f"group1-shard{i + 1}of{len(shard_sizes)}.bin" for i in range(len(shard_sizes))]
    for name, size in zip(paths, shard_sizes):
        (folder / name).write_bytes(os.urandom(size))
    doc = {"format": "layers-model", "modelTopology": {},
           "weightsManifest": [{"paths": paths, "weights": []}]}
    (folder / "model.json").write_text(json.dumps(doc))
    return folder


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., Path]:
    """make_model(shard_sizes, name="model"): model.json plus random shards in tmp_path."""
    return lambda shard_sizes, name="model": _make_model(tmp_path / name, list(shard_sizes))


@pytest.fixture
def model_folder(make_model) -> Path:
    return make_model([5000, 3000])
