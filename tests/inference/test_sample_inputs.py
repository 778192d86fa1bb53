"""sample_inputs reads input dtypes through the graph layer's one TF->TF.js dtype table."""

import numpy as np
import pytest

from inference_helpers import artifacts, node
from tfcache_nb.inference.graph.tfjs_dtypes import TF_DTYPES
from tfcache_nb.inference.model import Model
from tfcache_nb.inference.sample_inputs import default_inputs, input_specs


def model_with_input(tf_dtype):
    ph = node("x", "Placeholder", dtype={"type": tf_dtype},
              shape={"shape": {"dim": [{"size": "-1"}, {"size": "5"}, {"size": "4"}, {"size": "3"}]}})
    cast = node("y", "Cast", ["x"], DstT={"type": "DT_FLOAT"})
    return Model.from_artifacts(artifacts({"node": [ph, cast], "versions": {}}, {}, fmt="graph-model"))


@pytest.mark.parametrize("tf_dtype,want", [("DT_UINT8", "int32"), ("DT_INT64", "int32"), (4, "int32"),
                                           ("DT_DOUBLE", "float32"), ("DT_FLOAT", "float32")])
def test_input_dtype_is_the_one_tfjs_gives(tf_dtype, want):
    model = model_with_input(tf_dtype)
    (spec,) = input_specs(model)
    assert spec.dtype == want == TF_DTYPES[tf_dtype if isinstance(tf_dtype, str) else "DT_UINT8"]
    first = default_inputs(model)[0]
    assert first.shape == (1, 5, 4, 3)
    if want == "int32":
        assert first.dtype == np.int32 and 0 <= first.min() and first.max() <= 255 and first.max() > 1
    else:
        assert first.dtype == np.float32 and 0.0 <= first.min() and first.max() <= 1.0
    np.testing.assert_array_equal(model.predict(first), first.astype(np.float32))
