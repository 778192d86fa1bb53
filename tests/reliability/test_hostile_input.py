"""Hostile and malformed input, property-based: a typed error with one sentence, or a correct result.

Never a crash (an exception that is not a ``tc.TfcacheError``), never a hang, never a partial
write. Example counts stay moderate so CI is fast; ``TFCACHE_NB_SOAK=N`` multiplies them.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import math
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfcache_nb as tc
from rel_helpers import FIGURES, SOAK, make_artifacts, one_sentence, raw_rows

FAST = settings(max_examples=400 * SOAK, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=100 * SOAK)

BASE = make_artifacts(40, seed=3)
BASE_DOC = BASE.to_model_json([{"paths": ["group1-shard1of1"], "weights": BASE.weight_specs}])


def _typed(exc: BaseException) -> None:
    assert isinstance(exc, tc.TfcacheError), f"untyped {type(exc).__name__}: {exc}"
    assert one_sentence(str(exc)), repr(str(exc))


# ------------------------------------------------------------------------- model.json documents

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
hostile_dim = st.one_of(st.integers(-5, 50), st.sampled_from([2**31, 2**40, 10**18, -2**63]),
                        st.floats(allow_nan=True), st.text(max_size=3), st.none(), st.booleans())
hostile_shape = st.one_of(st.lists(hostile_dim, max_size=5), json_value)
hostile_dtype = st.one_of(st.sampled_from(["float32", "int32", "bool", "string", "complex64", "float64",
                                           "uint8", "float16", "", "FLOAT32", "int64"]), json_value)
hostile_quant = st.one_of(
    st.none(), json_value,
    st.fixed_dictionaries({"dtype": st.sampled_from(["uint8", "uint16", "float16", "int4", None])},
                          optional={"scale": st.one_of(st.floats(), json_value),
                                    "min": st.one_of(st.floats(), json_value)}))


@st.composite
def hostile_spec(draw):
    spec = {"name": draw(st.one_of(st.text(max_size=10), json_value)), "shape": draw(hostile_shape),
            "dtype": draw(hostile_dtype)}
    quant = draw(hostile_quant)
    if quant is not None:
        spec["quantization"] = quant
    for k in draw(st.sets(st.sampled_from(["name", "shape", "dtype"]), max_size=1)):
        del spec[k]
    return spec


@st.composite
def hostile_doc(draw):
    """A valid model.json with one or a few parts broken, or a document that is garbage throughout."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_value)
    doc = copy.deepcopy(BASE_DOC)
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["topology", "manifest", "group", "paths", "weights", "spec", "field",
                                     "drop", "extra_spec"]))
        group = doc["weightsManifest"][0] if isinstance(doc.get("weightsManifest"), list) and \
            doc["weightsManifest"] and isinstance(doc["weightsManifest"][0], dict) else None
        if what == "topology":
            doc["modelTopology"] = draw(json_value)
        elif what == "manifest":
            doc["weightsManifest"] = draw(json_value)
        elif what == "group" and isinstance(doc.get("weightsManifest"), list):
            doc["weightsManifest"].append(draw(json_value))
        elif what == "paths" and group is not None:
            group["paths"] = draw(st.one_of(json_value, st.lists(st.text(max_size=20), max_size=3)))
        elif what == "weights" and group is not None:
            group["weights"] = draw(st.one_of(json_value, st.lists(hostile_spec(), max_size=3)))
        elif what == "spec" and group is not None and isinstance(group.get("weights"), list) and group["weights"]:
            group["weights"][draw(st.integers(0, len(group["weights"]) - 1))] = draw(hostile_spec())
        elif what == "extra_spec" and group is not None and isinstance(group.get("weights"), list):
            group["weights"].append(draw(hostile_spec()))
        elif what == "field":
            doc[draw(st.sampled_from(["format", "generatedBy", "convertedBy", "signature",
                                      "userDefinedMetadata", "modelInitializer", "trainingConfig"]))] = \
                draw(json_value)
        elif what == "drop":
            doc.pop(draw(st.sampled_from(["modelTopology", "weightsManifest", "format"])), None)
    return doc


def _check_result(art) -> None:
    """A model that was accepted is self-consistent and decodes, or decoding is a typed error."""
    assert isinstance(art, tc.ModelArtifacts)
    try:
        weights = art.decode_weights()
    except tc.TfcacheError as exc:
        _typed(exc)
        return
    assert set(weights) == {s["name"] for s in art.weight_specs}


@FAST
@given(doc=hostile_doc(), data=st.binary(max_size=400), exact=st.booleans())
def test_from_model_json_never_crashes(doc, data, exact):
    FIGURES["hypothesis_cases"] += 1
    try:
        art = tc.ModelArtifacts.from_model_json(doc, BASE.weight_data if exact else data)
    except Exception as exc:  # noqa: BLE001 - the point is to classify it
        _typed(exc)
        FIGURES["hostile_inputs_refused"] += 1
        return
    _check_result(art)


@FAST
@given(data=st.binary(max_size=600))
def test_weight_data_of_the_wrong_length_is_refused(data):
    FIGURES["hypothesis_cases"] += 1
    if len(data) == len(BASE.weight_data):
        art = tc.ModelArtifacts.from_model_json(BASE_DOC, data)
        assert art.weight_data == data
        return
    with pytest.raises(tc.ModelFormatError, match="bytes of weight data") as info:
        tc.ModelArtifacts.from_model_json(BASE_DOC, data)
    _typed(info.value)


@SLOW
@given(doc=hostile_doc(), data=st.binary(max_size=400), exact=st.booleans(), text=st.booleans())
def test_hostile_model_folder_through_load_artifacts(doc, data, exact, text):
    FIGURES["hypothesis_cases"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        folder.mkdir()
        body = json.dumps(doc) if text else json.dumps(doc)[: max(1, len(json.dumps(doc)) // 2)]
        (folder / "model.json").write_text(body)
        (folder / "group1-shard1of1").write_bytes(BASE.weight_data if exact else data)
        store = tc.WxStorage(Path(tmp) / "wx.sqlite3")
        store.set("keep", "me")
        before = raw_rows(store.path)
        try:
            art, report = tc.load_artifacts(folder, cache=store)
        except Exception as exc:  # noqa: BLE001
            _typed(exc)
            assert raw_rows(store.path) == before, "a failed load wrote to the storage"
            FIGURES["hostile_inputs_refused"] += 1
            return
        finally:
            store.close()
        _check_result(art)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-site")
    with tc.ModelServer(folder) as server:
        store = tc.WxStorage(folder.parent / f"{folder.name}.sqlite3", limit_bytes=50_000_000)
        yield folder, server, store
        store.close()


_counter = itertools.count()


@SLOW
@given(doc=hostile_doc(), data=st.binary(max_size=400), exact=st.booleans())
def test_hostile_model_json_over_http_through_load_artifacts(hostile_site, doc, data, exact):
    FIGURES["hypothesis_cases"] += 1
    folder, server, store = hostile_site
    (folder / "model.json").write_text(json.dumps(doc))
    (folder / "group1-shard1of1").write_bytes(BASE.weight_data if exact else data)
    before = raw_rows(store.path)
    key = f"case-{next(_counter)}"
    try:
        art, report = tc.load_artifacts(server.url + "/model.json", cache=store, cache_key=key, retries=0,
                                        timeout=5)
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        assert raw_rows(store.path) == before, "a failed load wrote to the storage"
        FIGURES["hostile_inputs_refused"] += 1
        return
    _check_result(art)
    if report.saved:
        cached, again = tc.load_artifacts(server.url + "/model.json", cache=store, cache_key=key)
        assert again.source == "cache" and cached.weight_data == art.weight_data
        tc.remove_model(store, key)


def test_huge_shapes_are_refused_before_any_allocation():
    for shape in ([2**31, 2**31], [10**18], [65536, 65536, 4], [2**62]):
        doc = copy.deepcopy(BASE_DOC)
        doc["weightsManifest"][0]["weights"][0]["shape"] = shape
        with pytest.raises(tc.ModelFormatError) as info:
            tc.ModelArtifacts.from_model_json(doc, BASE.weight_data)
        _typed(info.value)
        FIGURES["hostile_inputs_refused"] += 1


def test_quantization_without_scale_is_refused():
    doc = copy.deepcopy(BASE_DOC)
    doc["weightsManifest"][0]["weights"][0]["quantization"] = {"dtype": "uint8", "min": 0.0}
    with pytest.raises(tc.ModelFormatError, match="without a numeric 'scale'"):
        tc.ModelArtifacts.from_model_json(doc, BASE.weight_data)


# ------------------------------------------------------------------------- storage keys

SPECIAL_KEYS = ["", "\x00", "a\x00b", "k" * 100_000, "'; DROP TABLE entries; --", "\" OR 1=1 --",
                "tensorflowjs_models/../x", "tensorflowjs_models/m/info", "other-app", "bob",
                "other-app\x00bob", "default/default/k", "%", "_", "*", "键", "🙂" * 50, "\ud800",
                "a/b\\c:d", " ", "\n", "\u202e"]
keys = st.one_of(st.sampled_from(SPECIAL_KEYS), st.text(max_size=40), st.text(st.characters(), max_size=300))
values = st.one_of(json_value, st.floats(), st.text(max_size=50), st.just("x" * 2000))


@pytest.fixture(scope="module")
def two_namespaces(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "wx.sqlite3"
    mine = tc.WxStorage(path, app_id="my-app", user_id="alice", limit_bytes=200_000, max_value_bytes=1_500)
    theirs = mine.for_namespace("other-app", "bob")
    theirs.set("secret", {"token": "do-not-leak"})
    theirs.set("tensorflowjs_models/m/info", "theirs")
    yield path, mine, theirs
    mine.close()
    theirs.close()


@FAST
@given(key=keys, value=values)
def test_storage_keys_and_values_are_isolated_and_all_or_nothing(two_namespaces, key, value):
    FIGURES["hypothesis_cases"] += 1
    path, mine, theirs = two_namespaces
    theirs_before = {k: theirs.get_text(k) for k in theirs.keys()}
    before = raw_rows(path)
    try:
        mine.set(key, value)
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        assert raw_rows(path) == before, "a refused write changed the storage"
        FIGURES["hostile_inputs_refused"] += 1
    else:
        assert mine.get(key) == json.loads(json.dumps(value, ensure_ascii=False))
        assert key in mine and key in mine.keys()
        assert mine.used_bytes == mine.recount()
        mine.remove(key)
        assert key not in mine
    assert {k: theirs.get_text(k) for k in theirs.keys()} == theirs_before
    assert theirs.get("secret") == {"token": "do-not-leak"}
    for probe in (mine.get, lambda k: mine.get_text(k)):
        try:
            assert probe(key) is None
        except tc.StorageError:
            pass
    assert mine.keys() == [] and mine.used_bytes == 0


@SLOW
@given(app_id=keys, user_id=keys)
def test_hostile_namespace_names_cannot_reach_another_namespace(two_namespaces, app_id, user_id):
    FIGURES["hypothesis_cases"] += 1
    path, mine, theirs = two_namespaces
    try:
        other = tc.WxStorage(path, app_id=app_id, user_id=user_id)
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        return
    try:
        if (app_id, user_id) == ("other-app", "bob"):
            assert "secret" in other  # the very same namespace, by name: that is allowed
            return
        assert other.keys() == [] or (app_id, user_id) == ("my-app", "alice")
        assert other.get("secret") is None
        other.set("probe", 1)
        assert theirs.get("probe") is None
        other.remove("probe")
    finally:
        other.close()


def test_sql_looking_keys_are_plain_text(two_namespaces):
    path, mine, theirs = two_namespaces
    for key in ("'; DELETE FROM entries; --", "x' OR '1'='1", "%", "_"):
        mine.set(key, key)
        assert mine.get(key) == key and mine.keys() == [key]
        assert theirs.get("secret") == {"token": "do-not-leak"}
        assert mine.entry_sizes("%") == ({key: mine.entry_sizes()[key]} if key == "%" else {})
        mine.remove(key)


def test_a_value_over_the_quota_or_cap_changes_nothing(two_namespaces):
    path, mine, theirs = two_namespaces
    mine.set("small", 1)
    before = raw_rows(path)
    with pytest.raises(tc.StorageValueTooLargeError):
        mine.set("big", "x" * 2_000)
    with pytest.raises(tc.StorageQuotaError, match="exceed storage max size"):
        mine.update({f"k{i}": "y" * 1_400 for i in range(200)})
    with pytest.raises(tc.StorageError):
        mine.update({"fine": 1, "bad": float("nan")})
    assert raw_rows(path) == before
    mine.remove("small")


# ------------------------------------------------------------------------- images

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int, depth: int = 8, colour: int = 2, idat: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", idat or zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def gif_claiming(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b",\0\0\0\0" + \
        struct.pack("<HH", width, height) + b"\0\x02\x02D\x01\0;"


def _encode(img, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def images():
    from tfcache_nb.inference import images as mod

    return mod


def test_huge_dimensions_are_refused_from_the_header(images):
    for data in (png_claiming(100_000, 100_000), png_claiming(2**31 - 1, 2), gif_claiming(65535, 65535),
                 png_claiming(60_000, 1_000, depth=16, colour=6)):
        with pytest.raises(tc.ImageError, match="over the limit|too large") as info:
            images.load_image(data)
        _typed(info.value)
        FIGURES["hostile_images_refused"] += 1


def test_empty_truncated_and_not_an_image(images, tmp_path):
    from PIL import Image

    good = _encode(Image.new("RGB", (40, 30), (10, 200, 30)), "PNG")
    jpeg = _encode(Image.new("RGB", (40, 30), (10, 200, 30)), "JPEG")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = [b"", empty, tmp_path / "missing.png", good[:20], good[: len(good) // 2], jpeg[:100],
             b"not an image at all", png_claiming(0, 0), png_claiming(4000, 4000, idat=b"garbage"),
             b"\x89PNG\r\n\x1a\n", 12345, None]
    for case in cases:
        with pytest.raises(tc.ImageError) as info:
            images.load_image(case)
        _typed(info.value)
        FIGURES["hostile_images_refused"] += 1


def test_modes_are_read_as_rgb(images):
    from PIL import Image

    grey = images.load_image(_encode(Image.new("L", (8, 6), 128), "PNG"))
    assert grey.shape == (6, 8, 3) and grey.dtype == np.uint8 and (grey == 128).all()
    clear = images.load_image(_encode(Image.new("RGBA", (5, 5), (255, 0, 0, 0)), "PNG"))
    assert (clear == 255).all()  # fully transparent on white
    solid = images.load_image(_encode(Image.new("RGBA", (5, 5), (255, 0, 0, 255)), "PNG"))
    assert (solid == [255, 0, 0]).all()
    sixteen = images.load_image(_encode(Image.fromarray(np.full((4, 4), 65535, np.uint16)), "PNG"))
    assert sixteen.shape == (4, 4, 3) and (sixteen == 255).all()
    cmyk = images.load_image(_encode(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), "JPEG", quality=95))
    assert cmyk.shape == (8, 8, 3) and (cmyk >= 250).all()
    la = images.load_image(_encode(Image.new("LA", (3, 3), (0, 255)), "PNG"))
    assert (la == 0).all()
    bits = images.load_image(_encode(Image.new("1", (9, 9), 1), "PNG"))
    assert (bits == 255).all()
    resized = images.load_image(_encode(Image.new("RGB", (64, 32), (1, 2, 3)), "PNG"), size=(224, 224))
    assert resized.shape == (224, 224, 3) and (resized == [1, 2, 3]).all()


@pytest.fixture(scope="module")
def valid_images():
    from PIL import Image

    rgb = Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8))
    return [_encode(rgb, "PNG"), _encode(rgb, "JPEG"), _encode(rgb, "GIF"), _encode(rgb, "BMP"),
            _encode(rgb.convert("CMYK"), "JPEG"), _encode(rgb.convert("L"), "PNG"), _encode(rgb, "WEBP")]


@FAST
@given(which=st.integers(0, 6), cut=st.integers(0, 2000), flips=st.lists(st.tuples(st.integers(0, 2000),
                                                                                 st.integers(1, 255)),
                                                                       max_size=4))
def test_damaged_images_never_crash(images, valid_images, which, cut, flips):
    FIGURES["hypothesis_cases"] += 1
    data = bytearray(valid_images[which][:cut] if cut < len(valid_images[which]) else valid_images[which])
    for pos, xor in flips:
        if data:
            data[pos % len(data)] ^= xor
    try:
        out = images.load_image(bytes(data))
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        FIGURES["hostile_images_refused"] += 1
        return
    assert out.ndim == 3 and out.shape[2] == 3 and out.dtype == np.uint8 and out.size > 0


@FAST
@given(arr=st.one_of(
    st.builds(lambda h, w, c, v: np.full((h, w, c), v), st.integers(0, 5), st.integers(0, 5),
              st.sampled_from([1, 2, 3, 4, 5]), st.one_of(st.floats(), st.integers(-300, 300))),
    st.builds(lambda h: np.zeros(h), st.integers(0, 4)),
    st.just(np.array([["a"]])), st.just(np.zeros((2, 2, 3), dtype=bool))))
def test_hostile_arrays(images, arr):
    FIGURES["hypothesis_cases"] += 1
    try:
        out = images.load_image(arr)
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        return
    assert out.dtype == np.uint8 and out.shape == arr.shape[:2] + (3,)
    assert math.isfinite(float(out.astype(float).sum()))
