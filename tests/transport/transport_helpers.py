"""The tiny three-shard model the transport tests serve (shared by conftest and the tests)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import numpy as np

from tfcache_nb.format.weights import encode_weights


def write_tiny_model(folder: Path) -> Path:
    """Two weight groups: the first cut into 3 uneven shards, the second in one shard."""
    rng = np.random.default_rng(7)
    specs1, data1 = encode_weights([
        ("dense/kernel", rng.standard_normal((64, 32)).astype("float32")),
        ("dense/bias", np.arange(100, dtype="int32")),
        ("out/kernel", rng.standard_normal(1000).astype("float32")),
    ])
    specs2, data2 = encode_weights([("out/bias", rng.standard_normal(10).astype("float32"))])
    cuts = [0, 5000, 9000, len(data1)]
    shards1 = [data1[a:b] for a, b in zip(cuts, cuts[1:])]
    doc = {
        "format": "layers-model",
        "generatedBy": "tests/transport",
        "modelTopology": {"class_name": "Sequential", "config": {"name": "tiny", "layers": []}},
        "weightsManifest": [
            {"paths": [f"group1-shard{i + 1}of3" for i in range(3)], "weights": specs1},
            {"paths": ["group2-shard1of1"], "weights": specs2},
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for i, shard in enumerate(shards1):
        (folder / f"group1-shard{i + 1}of3").write_bytes(shard)
    (folder / "group2-shard1of1").write_bytes(data2)
    (folder / "model.json").write_text(json.dumps(doc))
    return folder


def model_bytes(folder: Path) -> bytes:
    """The weight bytes of a model folder, shards joined in manifest order."""
    doc = json.loads((folder / "model.json").read_text())
    return b"".join((folder / p).read_bytes() for g in doc["weightsManifest"] for p in g["paths"])


def request_log(server, count: int, settle: float = 0.1):
    """The server's request log once it has ``count`` entries (the server logs after replying)."""
    deadline = time.monotonic() + 3.0
    while len(server.request_log) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(settle)  # and no more arrive
    return server.request_log


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

