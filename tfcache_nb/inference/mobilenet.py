"""MobileNet classification with TensorFlow.js's preprocessing and class names."""

from __future__ import annotations

import dataclasses
import html
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import InvalidArgumentError
from . import ops
from .classes import IMAGENET_CLASSES
from .images import load_image
from .model import Model, load_model

DEFAULT_URL = "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json"
_PASS_THROUGH_LAYERS = {"Reshape", "Flatten", "Dropout"}
_PASS_THROUGH_OPS = {"Reshape", "Squeeze", "Identity"}


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One class of a classification: its index in IMAGENET_CLASSES, name and probability."""

    index: int
    class_name: str
    probability: float

    def _repr_html_(self) -> str:
        return (f"<span><b>{html.escape(self.class_name)}</b> "
                f"{self.probability:.1%} <small>(#{self.index})</small></span>")


class MobileNet:
    """An ImageNet classifier over a layers (Keras) or graph (TF Hub) MobileNet."""

    def __init__(self, model: Model):
        self.model = model
        shape = model.input_shape
        if len(shape) != 4 or shape[3] != 3 or shape[1] is None or shape[2] is None:
            raise InvalidArgumentError(f"MobileNet needs a model with a fixed [N, H, W, 3] input, not {list(shape)}.")
        self.input_size: tuple[int, int] = (int(shape[1]), int(shape[2]))
        self._outputs_probs = _ends_with_softmax(model)

    @classmethod
    def load(cls, source: Any = None, *, cache: Any = None, **options: Any) -> "MobileNet":
        """Load through the cache-aware loader (default: TF.js's mobilenet_v1_0.25_224)."""
        return cls(load_model(DEFAULT_URL if source is None else source, cache=cache, **options))

    @classmethod
    def from_model(cls, model: Model) -> "MobileNet":
        return cls(model)

    def preprocess(self, images: Iterable[Any]) -> np.ndarray:
        """A float32 NHWC batch scaled as the model kind expects ([-1, 1] layers, [0, 1] graph)."""
        pixels = np.stack([load_image(img, self.input_size) for img in images]).astype(np.float32)
        if self.model.kind == "graph":
            return pixels / np.float32(255)
        return pixels / np.float32(127.5) - np.float32(1)

    def predict_probs(self, images: Any) -> np.ndarray:
        """Class probabilities, shape (N, 1000); ``images`` is one image or a sequence of them."""
        batch = self.preprocess(_as_list(images))
        out = self.model.predict(batch).reshape(batch.shape[0], -1)
        if out.shape[1] == 1001:  # TF Hub models: index 0 is "background"
            out = out[:, 1:]
            return ops.softmax(np.ascontiguousarray(out))
        if out.shape[1] != len(IMAGENET_CLASSES):
            raise InvalidArgumentError(f"the model has {out.shape[1]} outputs, not 1000 ImageNet classes.")
        return out if self._outputs_probs else ops.softmax(out)

    def classify(self, image: Any, topk: int = 5) -> list[Prediction]:
        """The ``topk`` most likely classes of one image, most likely first."""
        return self.classify_batch([image], topk)[0]

    def classify_batch(self, images: Sequence[Any], topk: int = 5) -> list[list[Prediction]]:
        if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
            raise InvalidArgumentError(f"topk must be a positive integer, not {topk!r}.")
        probs = self.predict_probs(list(images))
        k = min(topk, probs.shape[1])
        result = []
        for row in probs:
            # stable sort: equal probabilities keep the lower index first, as TF.js's topk does
            top = np.argsort(-row, kind="stable")[:k]
            result.append([Prediction(int(i), IMAGENET_CLASSES[int(i)], float(row[i])) for i in top])
        return result

    def __repr__(self) -> str:
        return f"MobileNet({self.model.kind} model, input {self.input_size[0]}x{self.input_size[1]})"


def _as_list(images: Any) -> list[Any]:
    if isinstance(images, np.ndarray) and images.ndim == 4:
        return list(images)
    if isinstance(images, (list, tuple)):
        return list(images)
    return [images]


def _ends_with_softmax(model: Model) -> bool:
    """Whether the model's output already is a softmax (looking back through reshapes)."""
    topo = model.artifacts.model_topology or {}
    if model.kind == "graph":
        nodes = {n.get("name"): n for n in topo.get("node", []) if isinstance(n, dict)}
        consumed = {str(i).split(":")[0].lstrip("^") for n in nodes.values() for i in n.get("input", [])}
        outs = [n for n in nodes if n not in consumed and nodes[n].get("op") not in ("Const", "Placeholder")]
        node = nodes.get(outs[0]) if outs else None
        while node is not None and node.get("op") in _PASS_THROUGH_OPS and node.get("input"):
            node = nodes.get(str(node["input"][0]).split(":")[0])
        return node is not None and node.get("op") == "Softmax"
    from .keras_topology import parse_topology

    graph = parse_topology(topo)
    layers = {layer.name: layer for layer in graph.layers}
    layer = layers.get(graph.outputs[0])
    while layer is not None and layer.kind in _PASS_THROUGH_LAYERS:
        layer = layers.get(layer.inputs[0])
    if layer is None:
        return False
    act = layer.config.get("activation")
    return act == "softmax" and layer.kind in ("Activation", "Dense", "Conv2D")
