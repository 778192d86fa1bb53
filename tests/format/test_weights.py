"""decode_weights / encode_weights against hand-built bytes, by TensorFlow.js's rules."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tfcache_nb.errors import ModelFormatError
from tfcache_nb.format.weights import decode_weights, encode_weights, weight_byte_ranges


def spec(name, shape, dtype, quantization=None):
    s = {"name": name, "shape": shape, "dtype": dtype}
    if quantization is not None:
        s["quantization"] = quantization
    return s


def test_decodes_every_plain_dtype_from_hand_built_bytes():
    data = (struct.pack("<3f", 1.5, -2.0, 0.25)
            + struct.pack("<2i", -7, 2**31 - 1)
            + bytes([1, 0, 3])
            + struct.pack("<4f", 1.0, 2.0, -3.0, 4.5)
            + struct.pack("<I", 2) + b"hi" + struct.pack("<I", 0) + struct.pack("<I", 3) + "é!".encode())
    specs = [spec("f", [3], "float32"), spec("i", [2, 1], "int32"), spec("b", [3], "bool"),
             spec("c", [2], "complex64"), spec("s", [3], "string")]
    out = decode_weights(specs, data)
    assert list(out) == ["f", "i", "b", "c", "s"]
    np.testing.assert_array_equal(out["f"], np.array([1.5, -2.0, 0.25], np.float32))
    assert out["f"].dtype == np.float32
    np.testing.assert_array_equal(out["i"], np.array([[-7], [2**31 - 1]], np.int32))
    assert out["i"].dtype == np.int32
    np.testing.assert_array_equal(out["b"], [True, False, True])
    assert out["b"].dtype == np.bool_
    np.testing.assert_array_equal(out["c"], np.array([1 + 2j, -3 + 4.5j], np.complex64))
    assert out["c"].dtype == np.complex64
    assert out["s"].dtype == object and out["s"].tolist() == [b"hi", b"", "é!".encode()]


def test_scalar_and_empty_shapes():
    data = struct.pack("<f", 3.0)
    out = decode_weights([spec("scalar", [], "float32"), spec("empty", [0, 4], "float32"),
                          spec("empty_q", [0], "float32", {"dtype": "uint8", "scale": 1, "min": 0})], data)
    assert out["scalar"].shape == () and float(out["scalar"]) == 3.0
    assert out["empty"].shape == (0, 4) and out["empty_q"].shape == (0,)


def test_uint8_and_uint16_dequantize_as_tfjs_does():
    codes8 = bytes([0, 1, 255])
    codes16 = struct.pack("<3H", 0, 2, 65535)
    scale, low = 0.1, -1.0
    specs = [spec("a", [3], "float32", {"dtype": "uint8", "scale": scale, "min": low}),
             spec("b", [3], "float32", {"dtype": "uint16", "scale": scale, "min": low})]
    out = decode_weights(specs, codes8 + codes16)
    # TF.js: Float32Array element = v * scale + min computed in double precision
    np.testing.assert_array_equal(out["a"], np.float32([0 * scale + low, 1 * scale + low, 255 * scale + low]))
    np.testing.assert_array_equal(out["b"], np.float32([low, 2 * scale + low, 65535 * scale + low]))
    assert out["a"].dtype == np.float32


def test_int32_quantized_weights_round_half_up_like_math_round():
    data = bytes([0, 1, 2, 3, 4, 5])
    out = decode_weights([spec("q", [6], "int32", {"dtype": "uint8", "scale": 0.5, "min": -1.5})], data)
    assert out["q"].dtype == np.int32
    # values -1.5, -1.0, -0.5, 0.0, 0.5, 1.0 -> Math.round -> -1, -1, -0 (0), 0, 1, 1
    assert out["q"].tolist() == [-1, -1, 0, 0, 1, 1]


def test_float16_decodes_to_float32_exactly():
    halves = np.array([0.0, -1.5, 65504.0, 6e-8, 0.333], np.float16)
    out = decode_weights([spec("h", [5], "float32", {"dtype": "float16"})], halves.tobytes())
    assert out["h"].dtype == np.float32
    np.testing.assert_array_equal(out["h"], halves.astype(np.float32))


def test_float32_weights_are_read_only_views_of_the_bytes():
    data = np.arange(4, dtype="<f4").tobytes()
    out = decode_weights([spec("w", [2, 2], "float32")], data)
    assert not out["w"].flags.writeable
    assert np.shares_memory(out["w"], np.frombuffer(data, dtype=np.uint8))
    with pytest.raises(ValueError):
        out["w"][0, 0] = 1.0
    # also read-only when the data is a mutable bytearray, so nobody edits shared weights
    out2 = decode_weights([spec("w", [4], "float32")], bytearray(data))
    assert not out2["w"].flags.writeable


@pytest.mark.parametrize("specs, data, fragment", [
    ([spec("w", [3], "float32")], b"\0" * 8, "'w'"),
    ([spec("w", [2], "float32")], b"\0" * 12, "left over"),
    ([spec("s", [2], "string")], struct.pack("<I", 1) + b"a" + struct.pack("<I", 9) + b"abc", "'s'"),
    ([spec("s", [1], "string")], b"\1\0", "'s'"),
    ([spec("q", [4], "float32", {"dtype": "uint16", "scale": 1, "min": 0})], b"\0" * 6, "'q'"),
])
def test_wrong_length_names_the_weight(specs, data, fragment):
    with pytest.raises(ModelFormatError, match=fragment):
        decode_weights(specs, data)


@pytest.mark.parametrize("bad, fragment", [
    (spec("w", [1], "float64"), "unsupported dtype"),
    (spec("w", [1], "float32", {"dtype": "int8", "scale": 1, "min": 0}), "quantization dtype"),
    (spec("w", [1], "float32", {"dtype": "uint8", "min": 0}), "'scale'"),
    (spec("w", [1], "float32", {"dtype": "uint16", "scale": 0.1}), "'min'"),
    (spec("w", [1], "int32", {"dtype": "float16"}), "float16"),
    (spec("w", [-1], "float32"), "invalid dimension"),
    (spec("w", [2.5], "float32"), "invalid dimension"),
    ({"shape": [1], "dtype": "float32"}, "name"),
])
def test_invalid_specs_are_refused(bad, fragment):
    with pytest.raises(ModelFormatError, match=fragment):
        decode_weights([bad], b"\0" * 8)


def test_duplicate_names_are_refused():
    with pytest.raises(ModelFormatError, match="'w' is listed more than once"):
        decode_weights([spec("w", [1], "float32"), spec("w", [1], "float32")], b"\0" * 8)
    with pytest.raises(ModelFormatError, match="'w' is given more than once"):
        encode_weights([("w", np.zeros(1)), ("w", np.zeros(1))])


def test_encode_matches_tfjs_layout_and_narrows_like_the_converter():
    specs, data = encode_weights({"f": np.array([1.0, 2.0]), "i": np.array([[1, -2]], np.int64),
                                  "b": np.array([True, False]), "s": np.array(["ab", "é"]),
                                  "c": np.array([1 + 1j])})
    assert specs == [
        {"name": "f", "shape": [2], "dtype": "float32"},
        {"name": "i", "shape": [1, 2], "dtype": "int32"},
        {"name": "b", "shape": [2], "dtype": "bool"},
        {"name": "s", "shape": [2], "dtype": "string"},
        {"name": "c", "shape": [1], "dtype": "complex64"},
    ]
    expected = (struct.pack("<2f", 1, 2) + struct.pack("<2i", 1, -2) + b"\1\0"
                + struct.pack("<I", 2) + b"ab" + struct.pack("<I", 2) + "é".encode()
                + struct.pack("<2f", 1, 1))
    assert data == expected
    assert weight_byte_ranges(specs, data) == [(0, 8), (8, 16), (16, 18), (18, 30), (30, 38)]


def test_encode_refuses_what_tfjs_cannot_store():
    with pytest.raises(ModelFormatError, match="'big'"):
        encode_weights({"big": np.array([2**40])})
    with pytest.raises(ModelFormatError, match="'when'"):
        encode_weights({"when": np.array(["2020-01-01"], dtype="datetime64[D]")})


@settings(max_examples=60, deadline=None)
@given(arrays=st.lists(
    hnp.arrays(dtype=st.sampled_from([np.float32, np.int32, np.bool_, np.complex64]),
               shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
    min_size=1, max_size=5))
def test_encode_decode_round_trip(arrays):
    named = [(f"w{i}", a) for i, a in enumerate(arrays)]
    specs, data = encode_weights(named)
    out = decode_weights(specs, data)
    for name, original in named:
        assert out[name].shape == original.shape
        assert out[name].dtype == original.dtype
        np.testing.assert_array_equal(out[name], original)  # NaN == NaN here


@settings(max_examples=40, deadline=None)
@given(strings=st.lists(st.binary(max_size=20), min_size=0, max_size=6))
def test_string_round_trip(strings):
    array = np.empty(len(strings), dtype=object)
    array[:] = strings
    specs, data = encode_weights({"s": array})
    assert len(data) == sum(4 + len(s) for s in strings)
    assert decode_weights(specs, data)["s"].tolist() == strings
