"""Run a list of single-op cases through the real TensorFlow.js and compare each with ``run_op``."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from graph_helpers import run_op


def check_against_tfjs(ops: Sequence[tuple[str, list, dict[str, Any]]], rtol: float = 2e-6,
                       atol: float = 1e-6) -> None:
    """Every ``(op, inputs, attrs)`` gives TF.js's outputs (dtype, shape, values); one node process."""
    from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

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
