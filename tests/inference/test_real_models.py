"""The real MobileNets against what TensorFlow.js 4.22 computed on the same pixels."""

import json

import numpy as np
import pytest

from tfcache_nb.format.files import read_model_files
from tfcache_nb.inference import ops
from tfcache_nb.inference.mobilenet import MobileNet
from tfcache_nb.inference.model import Model

LAYERS = ["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224"]
GRAPH = "mobilenet_v1_025_224_graph"


@pytest.fixture(scope="module")
def refs(refs_dir):
    return json.loads((refs_dir / "grace_hopper_tfjs_outputs.json").read_text())


@pytest.fixture(scope="module")
def pixels(refs_dir):
    return np.load(refs_dir / "grace_hopper_224_uint8.npy")


def _top5(probs):
    return [int(i) for i in np.argsort(-probs, kind="stable")[:5]]


@pytest.mark.parametrize("name", LAYERS)
def test_layers_models_match_tfjs(models_dir, refs, pixels, name):
    model = Model.from_artifacts(read_model_files(models_dir / name))
    ref = refs[name]
    x = (pixels.astype(np.float32) / 127.5 - 1)[None]
    probs = model.predict(x)
    assert probs.shape == (1, 1000) and model.output_shape == (None, 1000)
    np.testing.assert_allclose(probs[0], ref["probs"], atol=1e-4)
    logits = model.predict_named(x, ["conv_preds"])["conv_preds"].reshape(-1)
    np.testing.assert_allclose(logits, np.ravel(ref["logits_conv_preds"]), atol=1e-4)
    assert _top5(probs[0]) == [t["index"] for t in ref["top5"]]
    preds = MobileNet.from_model(model).classify(pixels, topk=5)
    assert [p.index for p in preds] == [t["index"] for t in ref["top5"]]
    assert [p.class_name for p in preds] == [t["class"] for t in ref["top5"]]
    np.testing.assert_allclose([p.probability for p in preds], [t["value"] for t in ref["top5"]], atol=1e-4)


def test_graph_model_matches_tfjs(models_dir, refs, pixels):
    model = Model.from_artifacts(read_model_files(models_dir / GRAPH))
    ref = refs[GRAPH]
    assert model.kind == "graph" and model.output_shape == (None, 1001)
    logits = model.predict((pixels.astype(np.float32) / 255)[None])
    np.testing.assert_allclose(logits[0], ref["logits_1001"], atol=1e-4)
    probs = ops.softmax(logits[:, 1:])[0]
    np.testing.assert_allclose(probs, ref["probs_1000_no_background"], atol=1e-4)
    preds = MobileNet.from_model(model).classify(pixels, topk=5)
    assert [p.index for p in preds] == [t["index"] for t in ref["top5"]] == _top5(probs)
    np.testing.assert_allclose([p.probability for p in preds], [t["value"] for t in ref["top5"]], atol=1e-4)


def test_batches_give_the_same_answer_as_single_images(models_dir, pixels):
    net = MobileNet.from_model(Model.from_artifacts(read_model_files(models_dir / LAYERS[0])))
    flipped = pixels[:, ::-1].copy()
    batch = net.predict_probs([pixels, flipped, pixels])
    assert batch.shape == (3, 1000)
    np.testing.assert_allclose(batch[0], net.predict_probs(pixels)[0], atol=1e-5)
    np.testing.assert_allclose(batch[1], net.predict_probs(flipped)[0], atol=1e-5)
    np.testing.assert_allclose(batch[2], batch[0], atol=1e-5)
    assert [[p.index for p in r] for r in net.classify_batch([pixels, flipped], topk=2)] == \
        [[p.index for p in net.classify(pixels, 2)], [p.index for p in net.classify(flipped, 2)]]
