"""JSON text as JavaScript writes it, and ModelArtifacts.info() byte counts as TensorFlow.js gives them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import numpy as np
import pytest

from tfcache_nb.format.artifacts import ModelArtifacts, ModelArtifactsInfo
from tfcache_nb.format.files import read_model_files
from tfcache_nb.format.jsjson import js_byte_length, js_dumps, js_number

# (python value, JSON.stringify output) checked by hand against Node 20
JS_CASES = [
    (1.0, "1"), (-0.0, "0"), (0.1, "0.1"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (1e-6, "0.000001"),
    (123456789012345680000.0, "123456789012345680000"), (1e21, "1e+21"), (1.5e300, "1.5e+300"),
    (5e-324, "5e-324"), (0.001, "0.001"), (float("nan"), "null"), (float("inf"), "null"),
    (2 ** 53 + 1, "9007199254740992"), (-17, "-17"), (True, "true"), (None, "null"),
    ("é\u2028\n\"", '"é\u2028\\n\\""'), ("\ud800", '"\\ud800"'),
    ({"b": 1, "2": 2, "10": 3, "01": 4}, '{"2":2,"10":3,"b":1,"01":4}'),
    ([1.0, [], {}], "[1,[],{}]"), (np.float32(0.5), "0.5"), (np.int64(3), "3"),
]


@pytest.mark.parametrize("value, text", JS_CASES)
def test_js_dumps_matches_json_stringify(value, text):
    assert js_dumps(value) == text


def test_js_number_agrees_with_node_on_many_floats(node_bin):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 300), 10.0 ** rng.uniform(-30, 30, 300) * rng.choice([-1, 1], 300),
                             rng.normal(0, 1, 200).astype(np.float32).astype(np.float64),
                             [1e21, 1e-6, 1e-7, 9.999999999999999e20, 123e-20, 0.000001234]])
    payload = json.dumps([repr(float(v)) for v in values])
    script = "const xs=JSON.parse(require('fs').readFileSync(0,'utf8'));" \
             "process.stdout.write(JSON.stringify(xs.map(s=>JSON.stringify(Number(s)))))"
    result = subprocess.run([node_bin, "-e", script], input=payload, capture_output=True, text=True,
                            timeout=60, check=True)
    expected = json.loads(result.stdout)
    assert [js_number(float(v)) for v in values] == expected


def test_real_model_json_round_trips_through_node_byte_for_byte(node_bin, models_dir):
    path = models_dir / "mobilenet_v1_0.25_224" / "model.json"
    script = "const fs=require('fs');process.stdout.write(JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1],'utf8'))))"
    result = subprocess.run([node_bin, "-e", script, str(path)], capture_output=True, timeout=60, check=True)
    assert js_dumps(json.loads(path.read_text())).encode("utf-8") == result.stdout


def test_info_of_the_real_model_matches_tfjs(models_dir):
    # numbers from tf.io.getModelArtifactsInfoForJSON in @tensorflow/tfjs 4.22.0
    artifacts = read_model_files(models_dir / "mobilenet_v1_0.25_224")
    info = artifacts.info()
    assert info.model_topology_type == "JSON"
    assert info.model_topology_bytes == 37806
    assert info.weight_specs_bytes == 9113
    assert info.weight_data_bytes == 1_902_176
    assert info.model_topology_bytes == js_byte_length(artifacts.model_topology)


def test_info_counts_javascript_text_not_python_text():
    topology = {"epsilon": 1e-07, "scale": 1.0, "name": "é"}
    info = ModelArtifacts(topology, [], b"").info()
    assert info.model_topology_bytes == len('{"epsilon":1e-7,"scale":1,"name":"é"}'.encode())
    assert info.model_topology_bytes != len(json.dumps(topology, separators=(",", ":")).encode())


def test_info_json_round_trip():
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc)
    info = ModelArtifacts({"a": 1.0}, [], b"").info(date_saved=when)
    doc = info.to_json()
    assert doc == {"dateSaved": "2024-05-06T07:08:09.123Z", "modelTopologyType": "JSON",
                   "modelTopologyBytes": 7, "weightSpecsBytes": 2, "weightDataBytes": 0}
    back = ModelArtifactsInfo.from_json(doc)
    assert back.model_topology_bytes == 7 and back.date_saved == when.replace(microsecond=123000)
