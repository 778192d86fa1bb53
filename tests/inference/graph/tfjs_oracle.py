"""Run single graph ops in the real TensorFlow.js (tests/tfjs/run_ops.js) to compare executors with.

``tfjs_run([case, ...])`` runs many cases in one node process (starting node costs ~1 s), each a
one-node graph model loaded by TF.js's converter, so TF.js's own op table resolves the inputs and
attributes; ``check_against_tfjs`` runs a list of ops so and compares each with ``run_op``.
Skips the calling test when node or the pinned @tensorflow/tfjs is not installed.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from graph_helpers import encode_attr, run_op
from tfjs_node import installed_tfjs_dir, node_executable

_NP_DTYPE = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "complex64": np.complex64,
             "string": object}


def tfjs_dtype(a: np.ndarray) -> str:
    kind = np.asarray(a).dtype
    if kind == np.bool_:
        return "bool"
    if kind.kind in "iu":
        return "int32"
    if kind.kind == "c":
        return "complex64"
    if kind.kind in "OUS":
        return "string"
    return "float32"


def _encode_value(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, str):
        return v
    f = float(v)
    return f if math.isfinite(f) else str(f).replace("inf", "Infinity").replace("nan", "NaN")


def case(op: str, inputs: Sequence[Any], outputs: int = 1, **attrs: Any) -> dict:
    """One op on ``inputs`` (arrays; their dtype says the placeholder's), attributes as in run_op."""
    specs = []
    for x in inputs:
        a = np.asarray(x)
        dtype = tfjs_dtype(a)
        flat = a.ravel()
        if dtype == "complex64":
            values = [_encode_value(p) for z in flat for p in (z.real, z.imag)]
        else:
            values = [_encode_value(v) for v in flat]
        specs.append({"dtype": dtype, "shape": list(a.shape), "values": values})
    return {"op": op, "inputs": specs, "outputs": outputs,
            "attr": {k: encode_attr(v) for k, v in attrs.items()}}


def _decode(out: dict) -> np.ndarray:
    dtype = out["dtype"]
    values = out["values"]
    if dtype == "complex64":
        pairs = [float(v) for v in values]
        arr = np.array(pairs[0::2], np.float32) + 1j * np.array(pairs[1::2], np.float32)
        return arr.astype(np.complex64).reshape(out["shape"])
    if dtype == "string":
        return np.array(values, dtype=object).reshape(out["shape"])
    return np.array([float(v) for v in values], np.float64).astype(_NP_DTYPE[dtype]).reshape(out["shape"])


def tfjs_run(cases: Sequence[dict]) -> list[list[np.ndarray] | str]:
    """Each case's outputs as TF.js computes them (arrays in TF.js's dtype), or its error message."""
    node = node_executable()
    tfjs_dir = installed_tfjs_dir()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.json"
        path.write_text(json.dumps(list(cases)))
        done = subprocess.run([node, str(tfjs_dir / "run_ops.js"), str(path)], capture_output=True, text=True,
                              timeout=300, cwd=tfjs_dir)
    if done.returncode != 0:
        raise RuntimeError(f"run_ops.js failed: {done.stderr.strip()[-2000:]}")
    results = []
    for r in json.loads(done.stdout):
        if "error" not in r:
            # TF.js itself can return fewer values than its shape holds (a bug of its own): an error here
            broken = [o for o in r["outputs"] if o["dtype"] != "complex64" and len(o["values"]) != math.prod(o["shape"])]
            if broken:
                r = {"error": f"TF.js returned {len(broken[0]['values'])} values for shape {broken[0]['shape']}"}
        results.append(r["error"] if "error" in r else [_decode(o) for o in r["outputs"]])
    return results


def assert_same_as_tfjs(ours: np.ndarray, theirs: np.ndarray, label: str, rtol: float = 2e-6,
                        atol: float = 1e-6) -> None:
    """Same dtype, shape and values (floats within float32 rounding; NaN where TF.js has NaN)."""
    ours = np.asarray(ours)
    assert ours.dtype == theirs.dtype, f"{label}: dtype {ours.dtype}, TF.js {theirs.dtype}"
    assert ours.shape == theirs.shape, f"{label}: shape {ours.shape}, TF.js {theirs.shape}"
    if ours.dtype.kind in "fc":
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True, err_msg=label)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=label)


def check_against_tfjs(ops: Sequence[tuple[str, list, dict[str, Any]]], rtol: float = 2e-6,
                       atol: float = 1e-6) -> None:
    """Every ``(op, inputs, attrs)`` gives TF.js's outputs (dtype, shape, values); one node process.

    ``attrs`` may hold ``_outputs``, how many outputs the op has (1 by default).
    """
    counts = [attrs.pop("_outputs", 1) for _, _, attrs in ops]
    results = tfjs_run([case(op, xs, outputs=k, **attrs) for (op, xs, attrs), k in zip(ops, counts)])
    for (op, xs, attrs), k, theirs in zip(ops, counts, results):
        assert not isinstance(theirs, str), f"TF.js refused {op} {attrs}: {theirs}"
        ours = run_op(op, xs, **attrs)
        ours = list(ours) if k > 1 else [ours]
        assert len(ours) == len(theirs), op
        for i, (a, b) in enumerate(zip(ours, theirs)):
            scale = float(np.max(np.abs(b))) if b.size and b.dtype.kind == "f" else 1.0
            assert_same_as_tfjs(a, b, f"{op} output {i} {attrs} {[np.shape(x) for x in xs]}", rtol=rtol,
                                atol=atol * max(scale, 1.0))
