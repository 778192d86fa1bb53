"""Keras topologies as the TF.js converter (or TF.js's own save) writes them, and TF.js's outputs for them.

``layer`` and ``functional`` make topologies that the real TF.js loads too (every layer has
``inbound_nodes``, the input layer its dtype); ``tfjs_outputs`` runs models in
@tensorflow/tfjs (tests/tfjs/decode_check.js) and returns every output of each.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.files import write_model_files
from tfcache_nb.format.weights import encode_weights

FORMS = ("converted", "tfjs")  # Keras converted by tensorflowjs_converter, or saved by TF.js itself


def layer(cls: str, name: str, inbound: str | Sequence[str] | None = None, **config: Any) -> dict[str, Any]:
    """One layer of a functional model; ``inbound`` names the layers it reads."""
    sources = [] if inbound is None else [inbound] if isinstance(inbound, str) else list(inbound)
    return {"class_name": cls, "name": name, "config": {"name": name, **config},
            "inbound_nodes": [[[src, 0, 0, {}] for src in sources]] if sources else []}


def input_layer(name: str, shape: Sequence[int]) -> dict[str, Any]:
    return layer("InputLayer", name, batch_input_shape=[None, *shape], dtype="float32", sparse=False)


def functional(layers: list[dict[str, Any]], outputs: str | Sequence[str], form: str = "converted",
               inp: str = "input") -> dict[str, Any]:
    outputs = [outputs] if isinstance(outputs, str) else list(outputs)
    cfg = {"name": "model", "layers": layers, "input_layers": [[inp, 0, 0]],
           "output_layers": [[out, 0, 0] for out in outputs]}
    if form == "converted":
        return {"model_config": {"class_name": "Model", "config": cfg}, "keras_version": "2.4.0",
                "backend": "tensorflow"}
    return {"class_name": "Model", "config": cfg, "keras_version": "tfjs-layers 4.22.0",
            "backend": "tensor_flow.js"}


def sequential(layers: list[dict[str, Any]], form: str = "converted") -> dict[str, Any]:
    cfg = {"name": "sequential", "layers": [{"class_name": d["class_name"], "config": d["config"]} for d in layers]}
    if form == "converted":
        return {"model_config": {"class_name": "Sequential", "config": cfg}, "keras_version": "2.4.0",
                "backend": "tensorflow"}
    return {"class_name": "Sequential", "config": cfg, "keras_version": "tfjs-layers 4.22.0",
            "backend": "tensor_flow.js"}


def model_artifacts(topology: dict[str, Any], weights: dict[str, np.ndarray]) -> ModelArtifacts:
    """Artifacts with float32 weights in the order given (quantize them with ``.quantize(form)``)."""
    specs, data = encode_weights(weights)
    return ModelArtifacts(model_topology=topology, weight_specs=specs, weight_data=data)


def tfjs_outputs(node_bin: str, tfjs_dir: Path, folder: Path,
                 jobs: Sequence[tuple[ModelArtifacts, np.ndarray]]) -> list[list[np.ndarray] | str]:
    """Each model's outputs as TF.js computes them for its input (batch of 1), or TF.js's error message."""
    args = [node_bin, str(tfjs_dir / "decode_check.js"), str(folder / "decoded")]
    for i, (artifacts, x) in enumerate(jobs):
        model_dir = folder / f"model{i}"
        write_model_files(model_dir, artifacts)
        np.ascontiguousarray(x, "<f4").tofile(folder / f"input{i}.f32")
        args.append(f"{model_dir}={folder / f'input{i}.f32'}")
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tfjs_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["tfjs_version"] == "4.22.0" and report["backend"] == "cpu"
    return [m["error"] if not m.get("loaded") else
            [np.array(o["values"], np.float32).reshape(o["shape"]) for o in m["outputs"]]
            for m in report["models"]]
