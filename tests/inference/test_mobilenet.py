"""MobileNet on the synthetic model (no real weights needed) and the public objects."""

import numpy as np
import pytest

from tfcache_nb.format.synthetic import synthetic_mobilenet
from tfcache_nb.inference import ops
from tfcache_nb.inference.classes import IMAGENET_CLASSES
from tfcache_nb.inference.mobilenet import MobileNet, Prediction
from tfcache_nb.inference.model import Model


@pytest.fixture(scope="module")
def net():
    return MobileNet.from_model(Model.from_artifacts(synthetic_mobilenet(alpha=0.25, input_size=64)))


def test_synthetic_mobilenet_runs_end_to_end(net):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (80, 50, 3), dtype=np.uint8) for _ in range(2)]
    probs = net.predict_probs(images)
    assert probs.shape == (2, 1000) and net.input_size == (64, 64)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    preds = net.classify(images[0], topk=3)
    assert len(preds) == 3 and all(isinstance(p, Prediction) for p in preds)
    assert preds[0].probability >= preds[1].probability >= preds[2].probability
    assert preds[0].class_name == IMAGENET_CLASSES[preds[0].index]
    assert preds[0].index == int(np.argmax(probs[0]))
    # the layers model ends with a softmax: it is not applied twice
    x = net.preprocess(images[:1])
    np.testing.assert_allclose(net.model.predict(x), probs[:1], atol=1e-6)
    assert x.min() >= -1 and x.max() <= 1


def test_classify_rejects_a_bad_topk(net):
    with pytest.raises(ValueError, match="topk"):
        net.classify(np.zeros((64, 64, 3), np.uint8), topk=0)


def test_prediction_is_frozen_and_escapes_html():
    p = Prediction(1, "<b>cat</b> & co", 0.5)
    assert "&lt;b&gt;cat&lt;/b&gt; &amp; co" in p._repr_html_() and "<b>cat</b>" not in p._repr_html_()
    with pytest.raises(Exception):
        p.index = 2


def test_class_names():
    assert len(IMAGENET_CLASSES) == 1000 and IMAGENET_CLASSES[652] == "military uniform"


def test_softmax_is_applied_to_logit_models():
    # a graph model with 1001 logits: the background class is dropped before the softmax
    from inference_helpers import graph, node, placeholder
    w = np.random.default_rng(1).standard_normal((3, 1001)).astype(np.float32)
    art = graph([placeholder("images", [-1, 4, 4, 3]), node("m", "Mean", ["images", "axes"], keep_dims={"b": False}),
                 node("logits", "MatMul", ["m", "w"])], {"axes": np.array([1, 2], np.int32), "w": w})
    g = MobileNet.from_model(Model.from_artifacts(art))
    img = np.full((4, 4, 3), 51, np.uint8)
    logits = (np.full(3, 51 / 255, np.float32) @ w)[1:]
    np.testing.assert_allclose(g.predict_probs(img)[0], ops.softmax(logits), atol=1e-6)
