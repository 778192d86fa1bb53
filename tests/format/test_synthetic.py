"""The synthetic MobileNet has the real model's topology, weight names, order and sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfcache_nb.format.files import read_model_files
from tfcache_nb.format.synthetic import SYNTHETIC_NOTE, synthetic_mobilenet, write_synthetic_mobilenet

REAL_BYTES = {0.25: 1_902_176, 0.75: 10_407_904}


@pytest.mark.parametrize("alpha", [0.25, 0.75])
def test_same_topology_and_weights_as_the_real_model(models_dir, alpha):
    real = read_model_files(models_dir / f"mobilenet_v1_{alpha}_224")
    ours = synthetic_mobilenet(alpha)
    # layer by layer first, for a readable failure, then the whole document
    real_layers = real.model_topology["model_config"]["config"]["layers"]
    our_layers = ours.model_topology["model_config"]["config"]["layers"]
    assert [(l["class_name"], l["name"]) for l in our_layers] == [(l["class_name"], l["name"]) for l in real_layers]
    for mine, theirs in zip(our_layers, real_layers):
        assert mine == theirs, mine["name"]
    assert ours.model_topology == real.model_topology
    # same text too: key order included, so byte counts agree everywhere
    assert json.dumps(ours.model_topology) == json.dumps(real.model_topology)
    assert ours.weight_specs == real.weight_specs
    assert len(ours.weight_data) == len(real.weight_data) == REAL_BYTES[alpha]
    ours_info, real_info = ours.info(), real.info()
    assert ours_info.model_topology_bytes == real_info.model_topology_bytes
    assert ours_info.weight_specs_bytes == real_info.weight_specs_bytes


@pytest.mark.parametrize("alpha, filters", [(0.25, (8, 256)), (0.5, (16, 512)), (0.75, (24, 768)), (1.0, (32, 1024))])
def test_every_alpha_scales_filters(alpha, filters):
    model = synthetic_mobilenet(alpha)
    shapes = {s["name"]: s["shape"] for s in model.weight_specs}
    assert shapes["conv1/kernel"] == [3, 3, 3, filters[0]]
    assert shapes["conv_pw_13/kernel"][-1] == filters[1]
    assert shapes["conv_preds/kernel"] == [1, 1, filters[1], 1000]
    assert len(model.weight_data) == sum(4 * int(np.prod(s)) for s in shapes.values())
    config = model.model_topology["model_config"]["config"]
    assert config["name"] == f"mobilenet_{alpha:0.2f}_224"
    strides = [l["config"]["strides"][0] for l in config["layers"] if l["class_name"] == "DepthwiseConv2D"]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


def test_says_plainly_that_it_is_synthetic():
    model = synthetic_mobilenet()
    assert model.generated_by == SYNTHETIC_NOTE
    assert model.user_defined_metadata["note"] == SYNTHETIC_NOTE
    assert "random weights, predictions mean nothing" in SYNTHETIC_NOTE


def test_seeded_and_sane_weights():
    a, b, c = synthetic_mobilenet(seed=0), synthetic_mobilenet(seed=0), synthetic_mobilenet(seed=1)
    assert a.weight_data == b.weight_data and a.weight_data != c.weight_data
    weights = a.decode_weights()
    for name, values in weights.items():
        assert np.isfinite(values).all(), name
        if name.endswith("moving_variance"):
            assert values.min() > 0, name
        if name.endswith("kernel"):
            assert 0 < values.std() < 1, name


def test_other_sizes_and_classes():
    model = synthetic_mobilenet(0.5, input_size=128, num_classes=10)
    layers = model.model_topology["model_config"]["config"]["layers"]
    assert layers[0]["config"]["batch_input_shape"] == [None, 128, 128, 3]
    assert layers[-1]["config"]["target_shape"] == [10]
    with pytest.raises(ValueError, match="alpha"):
        synthetic_mobilenet(0.3)


def test_write_synthetic_mobilenet(tmp_path):
    folder = write_synthetic_mobilenet(tmp_path / "syn", alpha=0.75, seed=2, max_shard_bytes=4 * 1024 * 1024)
    assert folder == tmp_path / "syn" and (folder / "model.json").is_file()
    shards = sorted(p.name for p in folder.iterdir() if p.name != "model.json")
    assert shards == ["group1-shard1of3", "group1-shard2of3", "group1-shard3of3"]
    assert read_model_files(folder) == synthetic_mobilenet(0.75, seed=2)
