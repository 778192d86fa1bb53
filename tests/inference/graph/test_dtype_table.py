"""The TensorFlow -> TF.js dtype table is TF.js 4.22's own (parseDtypeParam), and a model that
uses a dtype TF.js has none for fails with one ModelFormatError naming the node and the dtype.

The oracle: a Cast to each TensorFlow DataType, run by the real TF.js (tests/tfjs/run_graph.js).
TF.js maps an unsupported dtype to null, and the Cast then fails with "unknown dtype null".
"""

from __future__ import annotations

import json
import subprocess
import types

import pytest

from tfcache_nb.errors import ModelFormatError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.inference.graph.tfjs_dtypes import TF_DTYPES, from_tf_dtype
from tfcache_nb.inference.model import Model
from tfcache_nb.inference.sample_inputs import input_specs

#: TensorFlow's DataType enum (tensorflow/core/framework/types.proto), numbers as the converter may write them
DATA_TYPES = {"DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
              "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12,
              "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17,
              "DT_COMPLEX128": 18, "DT_HALF": 19, "DT_RESOURCE": 20, "DT_VARIANT": 21, "DT_UINT32": 22,
              "DT_UINT64": 23, "DT_FLOAT_REF": 101, "DT_INT16_REF": 105}


def _cast_graph(dtype) -> dict:
    ph = {"name": "x", "op": "Placeholder", "input": [],
          "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}}
    cast = {"name": "c", "op": "Cast", "input": ["x"], "attr": {"SrcT": {"type": "DT_FLOAT"}, "DstT": {"type": dtype}}}
    return {"node": [ph, cast], "versions": {}}


def test_the_table_is_tfjs_parse_dtype_param(tfjs_dir, node_bin, tmp_path):
    verdicts = {}
    for name in DATA_TYPES:
        spec = {"modelTopology": _cast_graph(name), "weightSpecs": [], "weightData": "",
                "inputs": {"x": {"dtype": "float32", "shape": [1, 2], "values": [1.5, -2.5]}}}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(spec))
        done = subprocess.run([node_bin, str(tfjs_dir / "run_graph.js"), str(path)], capture_output=True, text=True,
                              timeout=120, cwd=str(tfjs_dir))
        result = json.loads(done.stdout)
        verdicts[name] = ("null" if "unknown dtype null" in result["error"] else "other error: " + result["error"]) \
            if "error" in result else result["outputs"][0]["dtype"]
    # TF.js reads DT_STRING as string, then refuses to cast numbers to it
    assert verdicts["DT_STRING"] == "other error: Only strings can be casted to strings"
    verdicts["DT_STRING"] = "string"
    for name, number in DATA_TYPES.items():
        theirs = verdicts[name]
        assert not theirs.startswith("other error"), f"{name}: {theirs}"
        want = None if theirs == "null" else theirs
        assert from_tf_dtype(name) == want, f"{name}: TF.js gives {theirs}"
        assert from_tf_dtype(number) == want, f"{name} ({number}): TF.js gives {theirs}"
    assert set(TF_DTYPES) == {name for name, theirs in verdicts.items() if theirs != "null"}
    assert verdicts["DT_COMPLEX128"] == "complex64" and verdicts["DT_BFLOAT16"] == "null"


@pytest.mark.parametrize("dtype,named", [("DT_INT16", "DT_INT16"), (17, "DT_UINT16"), ("DT_BFLOAT16", "DT_BFLOAT16"),
                                         ("DT_UINT64", "DT_UINT64")])
def test_a_node_with_an_unsupported_dtype_fails_at_build_naming_node_and_dtype(dtype, named):
    with pytest.raises(ModelFormatError) as info:
        Model.from_artifacts(_graph_model(_cast_graph(dtype)))
    message = str(info.value)
    assert "'c'" in message and named in message and "not support" in message, message
    assert "\n" not in message


def _graph_model(topology: dict) -> ModelArtifacts:
    return ModelArtifacts(model_topology=topology, weight_specs=[], weight_data=b"", format="graph-model")


def _placeholder_model(dtype) -> ModelArtifacts:
    topology = _cast_graph("DT_FLOAT")
    topology["node"][0]["attr"]["dtype"] = {"type": dtype}
    return _graph_model(topology)


@pytest.mark.parametrize("dtype,named", [("DT_UINT32", "DT_UINT32"), (5, "DT_INT16")])
def test_an_input_with_an_unsupported_dtype_fails_naming_it(dtype, named):
    arts = _placeholder_model(dtype)
    with pytest.raises(ModelFormatError) as info:
        Model.from_artifacts(arts)
    assert "'x'" in str(info.value) and named in str(info.value), info.value
    # sample inputs read the same table: the same refusal, not a float32 input made up
    with pytest.raises(ModelFormatError) as info:
        input_specs(types.SimpleNamespace(artifacts=arts, input_shape=(None, 2), input_names=["x"]))
    assert "'x'" in str(info.value) and named in str(info.value), info.value


def test_complex128_reads_as_complex64_and_int8_as_int32():
    assert from_tf_dtype("DT_COMPLEX128") == "complex64" and from_tf_dtype(18) == "complex64"
    assert from_tf_dtype("DT_INT8") == from_tf_dtype("DT_INT64") == "int32"
