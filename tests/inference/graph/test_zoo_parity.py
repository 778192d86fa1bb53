"""Every model of ../shared/zoo against TensorFlow.js 4.22's outputs (ref/): names, order, shapes, values.

Float outputs agree within 1e-4 x max|ref| (summation order differs), integer outputs exactly.
The zoo is found beside the models folder ($TFCACHE_NB_MODEL_DIR/../zoo) or at ../shared/zoo.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tfcache_nb as tc

REPO = Path(__file__).resolve().parents[3]


def _zoo_dir() -> Path | None:
    candidates = []
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    if env:
        candidates.append(Path(env).parent / "zoo")
    candidates.append(REPO.parent / "shared" / "zoo")
    for c in candidates:
        if (c / "README.md").is_file():
            return c
    return None


ZOO = _zoo_dir()
MODELS = sorted(p.name for p in ZOO.iterdir() if (p / "ref" / "outputs.json").is_file()) if ZOO else []


def _params():
    if not MODELS:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason="the model zoo is absent: ../shared/zoo not found and $TFCACHE_NB_MODEL_DIR/../zoo neither"))]
    return [pytest.param(name, id=name) for name in MODELS]


@pytest.mark.parametrize("name", _params())
def test_zoo_model_matches_tfjs(name):
    folder = ZOO / name
    ref = json.loads((folder / "ref" / "outputs.json").read_text())
    x = np.load(folder / "ref" / "input.npy")
    model = tc.load_model(str(folder))
    expected_names = [o["name"] for o in ref["outputs"]]
    assert model.output_names == expected_names
    got = model.predict(x)
    got = got if len(expected_names) > 1 else [got]
    assert isinstance(got, list) and len(got) == len(expected_names)
    for value, spec in zip(got, ref["outputs"]):
        want = np.load(folder / "ref" / spec["file"])
        assert list(value.shape) == list(spec["shape"]) == list(want.shape), spec["name"]
        if spec["dtype"] == "float32":
            assert value.dtype == np.float32, spec["name"]
            scale = float(np.abs(want).max()) if want.size else 0.0
            err = float(np.abs(value.astype(np.float64) - want).max()) if want.size else 0.0
            assert err <= 1e-4 * max(scale, 1e-30), f"{spec['name']}: max |diff| {err:.3g} vs max |ref| {scale:.3g}"
        else:
            assert value.dtype == np.dtype(spec["dtype"]), spec["name"]
            np.testing.assert_array_equal(value, want, err_msg=spec["name"])
