"""The converter's folder layout: write, read, sharding, and refusing broken folders."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tfcache_nb.errors import ModelFormatError, ModelLoadError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.files import read_model_files, shard_weights, write_model_files
from tfcache_nb.format.weights import encode_weights


@pytest.fixture()
def artifacts() -> ModelArtifacts:
    rng = np.random.default_rng(3)
    specs, data = encode_weights([("a/kernel", rng.normal(size=(10, 10)).astype(np.float32)),
                                  ("b/bias", np.arange(7, dtype=np.int32)),
                                  ("c/names", np.array(["x", "yz"]))])
    return ModelArtifacts(model_topology={"class_name": "Model", "config": {"layers": []}},
                          weight_specs=specs, weight_data=data, format="layers-model",
                          generated_by="test", user_defined_metadata={"k": [1.0, 2]})


def test_shard_weights_cuts_one_group_into_4mb_pieces():
    specs = [{"name": "w", "shape": [3_000_000], "dtype": "float32"}]
    data = bytes(12_000_000)
    manifest, shards = shard_weights(specs, data)
    assert [name for name, _ in shards] == ["group1-shard1of3", "group1-shard2of3", "group1-shard3of3"]
    assert [len(b) for _, b in shards] == [4 * 1024 * 1024, 4 * 1024 * 1024, 12_000_000 - 8 * 1024 * 1024]
    assert manifest == [{"paths": [n for n, _ in shards], "weights": specs}]
    assert shard_weights([], b"") == ([], [])
    with pytest.raises(ValueError):
        shard_weights(specs, data, max_shard_bytes=0)


def test_write_read_round_trip_with_several_shards(tmp_path, artifacts):
    folder = tmp_path / "new" / "model"
    paths = write_model_files(folder, artifacts, max_shard_bytes=150)
    assert paths[0] == folder / "model.json"
    assert [p.name for p in paths[1:]] == ["group1-shard1of3", "group1-shard2of3", "group1-shard3of3"]
    assert sorted(os.listdir(folder)) == sorted(p.name for p in paths)  # no temp files left
    assert [p.stat().st_size for p in paths[1:]] == [150, 150, len(artifacts.weight_data) - 300]
    doc = json.loads((folder / "model.json").read_text())
    assert doc["weightsManifest"][0]["paths"] == [p.name for p in paths[1:]]
    assert doc["userDefinedMetadata"] == {"k": [1, 2]}
    for source in (folder, folder / "model.json", str(folder)):
        back = read_model_files(source)
        assert back == artifacts
    decoded = read_model_files(folder).decode_weights()
    assert decoded["c/names"].tolist() == [b"x", b"yz"]


def test_files_are_readable_by_others(tmp_path, artifacts):
    old = os.umask(0o022)
    try:
        paths = write_model_files(tmp_path / "m", artifacts)
    finally:
        os.umask(old)
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in paths)


def test_rewriting_removes_shards_the_new_model_does_not_use(tmp_path, artifacts):
    write_model_files(tmp_path, artifacts, max_shard_bytes=100)
    assert (tmp_path / "group1-shard5of5").exists()
    (tmp_path / "unrelated.txt").write_text("keep me")
    write_model_files(tmp_path, artifacts)
    assert sorted(os.listdir(tmp_path)) == ["group1-shard1of1", "model.json", "unrelated.txt"]
    assert read_model_files(tmp_path) == artifacts


def test_reads_the_real_55_group_model(models_dir):
    artifacts = read_model_files(models_dir / "mobilenet_v1_0.25_224")
    assert len(artifacts.weight_data) == 1_902_176
    assert len(artifacts.weight_specs) == 137


def write_raw(folder, manifest, files):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps({"modelTopology": {}, "weightsManifest": manifest}))
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
    return folder


W = [{"name": "w", "shape": [4], "dtype": "float32"}]


@pytest.mark.parametrize("paths", [["../outside"], ["/etc/passwd"], ["a/../../x"], ["..\\x"]])
def test_a_shard_path_leaving_the_folder_is_refused(tmp_path, paths):
    (tmp_path / "outside").write_bytes(bytes(16))
    folder = write_raw(tmp_path / "m", [{"paths": paths, "weights": W}], {})
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        read_model_files(folder)


def test_a_missing_shard_is_named(tmp_path):
    folder = write_raw(tmp_path, [{"paths": ["s1", "s2"], "weights": W}], {"s1": bytes(8)})
    with pytest.raises(ModelFormatError, match="'s2' is missing"):
        read_model_files(folder)


def test_a_short_shard_is_named(tmp_path):
    folder = write_raw(tmp_path, [{"paths": ["s1", "s2"], "weights": W}], {"s1": bytes(8), "s2": bytes(7)})
    with pytest.raises(ModelFormatError, match=r"s1, s2\) hold 15 bytes but the manifest needs 16"):
        read_model_files(folder)


def test_groups_are_checked_one_by_one(tmp_path):
    # right total, wrong split between groups: TF.js would mis-assign the bytes
    manifest = [{"paths": ["a"], "weights": W}, {"paths": ["b"], "weights": [dict(W[0], name="v")]}]
    folder = write_raw(tmp_path, manifest, {"a": bytes(20), "b": bytes(12)})
    with pytest.raises(ModelFormatError, match="group 1"):
        read_model_files(folder)


def test_subfolder_shards_are_fine(tmp_path):
    folder = write_raw(tmp_path, [{"paths": ["sub/s1"], "weights": W}], {})
    (folder / "sub").mkdir()
    (folder / "sub" / "s1").write_bytes(np.arange(4, dtype="<f4").tobytes())
    assert read_model_files(folder).decode_weights()["w"].tolist() == [0, 1, 2, 3]


def test_missing_model_json_and_bad_json(tmp_path):
    with pytest.raises(ModelLoadError, match="no model file"):
        read_model_files(tmp_path)
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(ModelFormatError, match="not valid UTF-8 JSON"):
        read_model_files(tmp_path)
    (tmp_path / "model.json").write_text("[1, 2]")
    with pytest.raises(ModelFormatError, match="JSON object"):
        read_model_files(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"weightsManifest": [{"paths": ["x"], "weights": W * 2}]}))
    with pytest.raises(ModelFormatError, match="'w' more than once"):
        read_model_files(tmp_path)
