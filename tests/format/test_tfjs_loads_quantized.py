"""Real TensorFlow.js (@tensorflow/tfjs 4.22.0, CPU backend, in Node) loads what we write.

One node run decodes and loads every form (float32, uint8, uint16, float16) of the synthetic
MobileNet, and of the real mobilenet_v1_0.25_224 when the models are there, written by
``write_model_files``; the test compares TF.js's decoded weights with ours and checks that
the model predicts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tfcache_nb.format.files import read_model_files, write_model_files
from tfcache_nb.format.synthetic import synthetic_mobilenet

FORMS = ("float32", "uint8", "uint16", "float16")


def _optional(request, fixture: str) -> Path | None:
    try:
        return request.getfixturevalue(fixture)
    except pytest.skip.Exception:
        return None


@pytest.fixture(scope="module")
def tfjs_run(request, tmp_path_factory, node_bin, tfjs_dir):
    """Write every model form, run decode_check.js once, return (report, {key: folder})."""
    root = tmp_path_factory.mktemp("tfjs_check")
    sources = {"synthetic": synthetic_mobilenet(0.25, seed=7)}
    models, refs = _optional(request, "models_dir"), _optional(request, "refs_dir")
    if models is not None:
        sources["real"] = read_model_files(models / "mobilenet_v1_0.25_224")
    if refs is not None:
        image = np.load(refs / "grace_hopper_224_uint8.npy")
    else:
        image = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    x = (image.astype(np.float32) / 127.5 - 1.0)[None]
    input_file = root / "input.f32"
    x.astype("<f4").tofile(input_file)

    folders: dict[tuple[str, str], Path] = {}
    for name, artifacts in sources.items():
        for form in FORMS:
            folder = root / f"{name}-{form}"
            # small shards so TF.js also joins several files
            write_model_files(folder, artifacts if form == "float32" else artifacts.quantize(form),
                              max_shard_bytes=256 * 1024)
            folders[(name, form)] = folder
    out_dir = root / "out"
    args = [node_bin, str(tfjs_dir / "decode_check.js"), str(out_dir)]
    args += [f"{folder}={input_file}" for folder in folders.values()]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tfjs_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["tfjs_version"] == "4.22.0" and report["backend"] == "cpu"
    by_key = dict(zip(folders, report["models"]))
    return by_key, folders, refs



def test_every_form_loads_and_uses_the_decoded_weights(tfjs_run):
    reports, folders, _ = tfjs_run
    assert len(reports) in (4, 8)
    for key, report in reports.items():
        assert report.get("loaded") is True, (key, report.get("error"))
        assert report["kind"] == "layers"
        assert report["model_weights_matched"] == 137, key
        assert report["model_weights_max_abs_diff"] == 0, key


def test_tfjs_decodes_the_same_values_as_we_do(tfjs_run):
    reports, folders, _ = tfjs_run
    for key, report in reports.items():
        ours = read_model_files(folders[key]).decode_weights()
        theirs = np.fromfile(report["values_file"], dtype="<f4")
        assert [w["name"] for w in report["weights"]] == list(ours)
        for entry in report["weights"]:
            mine = ours[entry["name"]]
            assert entry["shape"] == list(mine.shape)
            values = theirs[entry["offset"]:entry["offset"] + entry["count"]].reshape(mine.shape)
            np.testing.assert_allclose(values, mine, rtol=1e-6, atol=1e-30, err_msg=f"{key} {entry['name']}")


def test_quantized_files_are_really_quantized(tfjs_run):
    reports, folders, _ = tfjs_run
    for (name, form), report in reports.items():
        expected = {"float32": None, "uint8": "uint8", "uint16": "uint16", "float16": "float16"}[form]
        dtypes = {(w["quantization"] or {}).get("dtype") for w in report["weights"]}
        assert dtypes == {expected}, (name, form)
        assert report["weight_bytes"] == 475_544 * {"float32": 4, "uint8": 1, "uint16": 2, "float16": 2}[form]


def test_every_form_predicts(tfjs_run):
    reports, _, refs = tfjs_run
    for key, report in reports.items():
        probs = np.array(report["output"])
        assert report["output_shape"] == [1, 1000], key
        assert np.isfinite(probs).all() and abs(probs.sum() - 1) < 1e-4, key
    for name in {name for name, _ in reports}:
        base = np.array(reports[(name, "float32")]["output"])
        for form in ("uint16", "float16"):
            other = np.array(reports[(name, form)]["output"])
            assert int(other.argmax()) == int(base.argmax()), (name, form)
            assert np.abs(other - base).max() < 0.02, (name, form)


def test_real_float32_model_written_by_us_predicts_like_the_original(tfjs_run):
    reports, _, refs = tfjs_run
    if ("real", "float32") not in reports or refs is None:
        pytest.skip("the real model or its TensorFlow.js reference outputs are absent")
    expected = json.loads((refs / "grace_hopper_tfjs_outputs.json").read_text())["mobilenet_v1_0.25_224"]
    probs = np.array(reports[("real", "float32")]["output"])
    np.testing.assert_allclose(probs, np.array(expected["probs"]).reshape(-1), atol=1e-6)
    top = int(probs.argmax())
    assert top == expected["top5"][0]["index"]
    # uint8 costs accuracy: on this image its best class is still one of the float model's top 5
    top5 = {entry["index"] for entry in expected["top5"]}
    assert int(np.argmax(reports[("real", "uint8")]["output"])) in top5
