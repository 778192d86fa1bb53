"""Quantization as the TensorFlow.js converter writes it, and its error bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tfcache_nb.errors import ModelFormatError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.quantization import (error_bound, max_abs_error, quantization_step,
                                            quantize_array)
from tfcache_nb.format.weights import encode_weights


def artifacts_of(named) -> ModelArtifacts:
    specs, data = encode_weights(named)
    return ModelArtifacts(model_topology=None, weight_specs=specs, weight_data=data)


@pytest.fixture(scope="module")
def model() -> ModelArtifacts:
    rng = np.random.default_rng(1)
    return artifacts_of([
        ("kernel", rng.normal(0, 0.3, (3, 3, 4, 8)).astype(np.float32)),
        ("positive", rng.uniform(0.5, 2.0, (16,)).astype(np.float32)),
        ("negative", rng.uniform(-3.0, -1.0, (16,)).astype(np.float32)),
        ("constant", np.full((5,), 0.7, np.float32)),
        ("zeros", np.zeros((4,), np.float32)),
        ("ids", np.array([3, -4, 5], np.int32)),
        ("mask", np.array([True, False])),
        ("names", np.array(["a", "bc"])),
    ])


@pytest.mark.parametrize("dtype, code_bytes", [("uint8", 1), ("uint16", 2), ("float16", 2)])
def test_quantize_shrinks_only_float32_weights_and_keeps_the_rest(model, dtype, code_bytes):
    quantized = model.quantize(dtype)
    by_name = {s["name"]: s for s in quantized.weight_specs}
    floats = ["kernel", "positive", "negative", "constant", "zeros"]
    for name in floats:
        assert by_name[name]["dtype"] == "float32"
        assert by_name[name]["quantization"]["dtype"] == dtype
        assert by_name[name]["quantization"]["original_dtype"] == "float32"
    for name in ("ids", "mask", "names"):
        assert "quantization" not in by_name[name]
    float_count = sum(int(np.prod(s["shape"])) for s in model.weight_specs if s["name"] in floats)
    assert len(model.weight_data) - len(quantized.weight_data) == float_count * (4 - code_bytes)
    before, after = model.decode_weights(), quantized.decode_weights()
    for name in ("ids", "mask", "names"):
        np.testing.assert_array_equal(before[name], after[name])
    # the original is untouched
    assert all("quantization" not in s for s in model.weight_specs)


def test_manifest_entries_have_the_converters_fields(model):
    spec = next(s for s in model.quantize("uint8").weight_specs if s["name"] == "kernel")
    assert list(spec["quantization"]) == ["dtype", "min", "scale", "original_dtype"]
    assert isinstance(spec["quantization"]["scale"], float) and spec["quantization"]["scale"] > 0
    spec16 = next(s for s in model.quantize("float16").weight_specs if s["name"] == "kernel")
    assert spec16["quantization"] == {"dtype": "float16", "original_dtype": "float32"}


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16"])
def test_each_weight_within_half_a_step(model, dtype):
    quantized = model.quantize(dtype)
    errors = max_abs_error(model, quantized)
    original = model.decode_weights()
    for spec in quantized.weight_specs:
        bound = error_bound(spec, original[spec["name"]]) if spec["dtype"] == "float32" else 0.0
        assert errors[spec["name"]] <= bound, (spec["name"], errors[spec["name"]], bound)
    assert errors["kernel"] > 0  # quantization really happened


def test_uint_step_is_scale_and_float16_step_depends_on_magnitude(model):
    specs = {s["name"]: s for s in model.quantize("uint8").weight_specs}
    original = model.decode_weights()["kernel"]
    step = quantization_step(specs["kernel"])
    assert step == pytest.approx((original.max() - original.min()) / 255, rel=1e-6)
    half = {s["name"]: s for s in model.quantize("float16").weight_specs}["kernel"]
    assert quantization_step(half) == 2.0 ** -10
    assert quantization_step(half, magnitude=1000.0) == 0.5
    assert quantization_step({"name": "w", "shape": [1], "dtype": "float32"}) == 0.0


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_zero_is_exactly_representable(model, dtype):
    quantized = model.quantize(dtype)
    for spec in quantized.weight_specs:
        q = spec.get("quantization")
        if q is None or spec["name"] in ("constant", "positive", "negative", "zeros"):
            continue
        code = -q["min"] / q["scale"]
        assert code == round(code)
        assert np.float32(round(code) * q["scale"] + q["min"]) == 0.0
    values = np.array([-0.3, 0.0, 0.1, 0.0, 1.7], np.float32)
    quantization, codes = quantize_array(values, dtype)
    decoded = (codes.astype(np.float64) * quantization["scale"] + quantization["min"]).astype(np.float32)
    assert decoded[1] == 0.0 and decoded[3] == 0.0


def test_ranges_without_zero_are_not_nudged(model):
    specs = {s["name"]: s for s in model.quantize("uint8").weight_specs}
    original = model.decode_weights()
    assert specs["positive"]["quantization"]["min"] == float(original["positive"].min())
    assert specs["negative"]["quantization"]["min"] == float(original["negative"].min())


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16"])
def test_constant_tensors_are_exact(model, dtype):
    after = model.quantize(dtype).decode_weights()
    # affine forms store a constant exactly (scale 1, min = the value); float16 rounds it once
    expected = np.float32(np.float16(0.7)) if dtype == "float16" else np.float32(0.7)
    np.testing.assert_array_equal(after["constant"], np.full((5,), expected, np.float32))
    np.testing.assert_array_equal(after["zeros"], np.zeros(4, np.float32))
    if dtype != "float16":
        spec = next(s for s in model.quantize(dtype).weight_specs if s["name"] == "constant")
        assert spec["quantization"]["scale"] == 1.0


def test_quantizing_twice_keeps_the_first_form(model):
    once = model.quantize("uint8")
    twice = once.quantize("uint16")
    assert twice.weight_specs == once.weight_specs
    assert twice.weight_data == once.weight_data


def test_bad_requests_are_refused(model):
    with pytest.raises(ValueError, match="int4"):
        model.quantize("int4")
    with pytest.raises(ModelFormatError, match="'w'.*NaN"):
        quantize_array(np.array([1.0, np.nan], np.float32), "uint8", "w")
    with pytest.raises(ModelFormatError, match="'big'.*float16"):
        quantize_array(np.array([1e6], np.float32), "float16", "big")


def test_weights_that_cannot_take_a_form_are_kept_exact():
    """A real model (faceboxes) holds a -inf score threshold: it stays float32, the rest shrinks."""
    model = artifacts_of({"w": np.array([1.0, -np.inf], np.float32), "k": np.linspace(-1, 1, 64, dtype=np.float32)})
    for dtype in ("uint8", "float16"):
        specs = {s["name"]: s for s in model.quantize(dtype).weight_specs}
        assert "quantization" not in specs["w"] and specs["k"]["quantization"]["dtype"] == dtype
    big = artifacts_of({"big": np.array([1e6], np.float32)}).quantize("float16")
    assert big.decode_weights()["big"][0] == 1e6


@settings(max_examples=80, deadline=None)
@given(values=hnp.arrays(np.float32, hnp.array_shapes(max_dims=2, max_side=12),
                         elements=st.floats(-1e4, 1e4, width=32)),
       dtype=st.sampled_from(["uint8", "uint16", "float16"]))
def test_error_bound_holds_for_any_tensor(values, dtype):
    quantization, codes = quantize_array(values, dtype)
    spec = {"name": "w", "shape": list(values.shape), "dtype": "float32", "quantization": quantization}
    model = ModelArtifacts(None, [spec], codes.tobytes())
    decoded = model.decode_weights()["w"]
    if values.size:
        error = float(np.abs(decoded.astype(np.float64) - values).max())
        assert error <= error_bound(spec, values)
