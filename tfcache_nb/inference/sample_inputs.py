"""A deterministic set of inputs for any model: real photographs shaped to its input signature.

What quantizing costs can only be measured on inputs, and a user asking "will it fit" has
none at hand. Each image input gets matplotlib's sample photographs (the ones notebook 02
uses), resized with Pillow's bilinear filter to the input's height and width, as the zoo's
TensorFlow.js references were made: float inputs as ``pixels / 255``, except ImageNet
classifiers (1000 or 1001 classes), which get MobileNet's ``pixels / 127.5 - 1``; integer
inputs (int32 in TF.js, whatever TensorFlow dtype the model declares: the graph layer's
``tfjs_dtypes`` table) as int32 values 0..255. A batch dimension becomes 1, any other unknown
dimension 256. Inputs that are not images get seeded pseudo-random values in [0, 1).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from ..errors import InvalidArgumentError, ModelFormatError, quoted
from .graph.tfjs_dtypes import from_tf_dtype, unsupported_dtype
from .samples import sample_image_path

#: the photographs, in order (notebook 02's set)
PHOTOS = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png")
UNKNOWN_SIDE = 256


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """One input of a model: its name, dtype, and shape (None where unknown)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]

    def concrete_shape(self) -> tuple[int, ...]:
        return tuple((1 if i == 0 else UNKNOWN_SIDE) if d is None or d < 0 else d
                     for i, d in enumerate(self.shape))


def input_specs(model: Any) -> list[InputSpec]:
    """The inputs of a built model, from its artifacts' signature or graph, else its input shape."""
    artifacts = model.artifacts
    specs: list[InputSpec] = []
    if artifacts.is_graph_model and isinstance(artifacts.model_topology, dict):
        specs = _graph_inputs(artifacts)
    if not specs:
        specs = [InputSpec("input", "float32", tuple(model.input_shape))]
    names = getattr(model, "input_names", None)
    if names and len(names) == len(specs):  # the runtime's own names, for dict inputs
        by_base = {_base(n): n for n in names}
        specs = [dataclasses.replace(s, name=by_base.get(_base(s.name), s.name)) for s in specs]
    return specs


def _base(name: str) -> str:
    return name.split(":")[0]


def _dims(shape: Any) -> tuple[int | None, ...] | None:
    if not isinstance(shape, dict):
        return None
    if shape.get("unknownRank"):
        return None
    out = []
    for dim in shape.get("dim", []):
        size = int(dim.get("size", -1)) if isinstance(dim, dict) else -1
        out.append(None if size < 0 else size)
    return tuple(out)


def _tfjs_dtype(tf_dtype: Any, name: str) -> str:
    """The dtype TF.js gives an input of this TensorFlow dtype (float32 when it is not said)."""
    if tf_dtype is None:
        return "float32"
    dtype = from_tf_dtype(tf_dtype)
    if dtype is None:
        raise ModelFormatError(f"the input {quoted(name)} {unsupported_dtype(tf_dtype)}.")
    return dtype


def _graph_inputs(artifacts: Any) -> list[InputSpec]:
    signature = (artifacts.signature or {}).get("inputs") if isinstance(artifacts.signature, dict) else None
    found: list[InputSpec] = []
    if isinstance(signature, dict) and signature:
        for key, entry in signature.items():
            if not isinstance(entry, dict):
                continue
            dims = _dims(entry.get("tensorShape"))
            found.append(InputSpec(str(entry.get("name") or key), _tfjs_dtype(entry.get("dtype"), str(key)),
                                   dims if dims is not None else (None, None, None, 3)))
        if found:
            return found
    for node in artifacts.model_topology.get("node", []):
        if node.get("op") != "Placeholder":
            continue
        attr = node.get("attr", {})
        dtype = _tfjs_dtype((attr.get("dtype") or {}).get("type"), str(node["name"]))
        dims = _dims((attr.get("shape") or {}).get("shape"))
        found.append(InputSpec(node["name"], dtype, dims if dims is not None else (None, None, None, 3)))
    return found


def _is_imagenet_classifier(model: Any) -> bool:
    shape = getattr(model, "output_shape", None)
    return bool(shape) and len(shape) == 2 and shape[-1] in (1000, 1001)


def _photo(name: str, width: int, height: int, channels: int) -> np.ndarray:
    from PIL import Image

    with Image.open(sample_image_path(name)) as img:
        img = img.convert("L" if channels == 1 else "RGB").resize((width, height), Image.BILINEAR)
        pixels = np.asarray(img, dtype=np.uint8)
    return pixels[..., None] if channels == 1 else pixels


def _values(spec: InputSpec, index: int, imagenet: bool, images: Sequence[Any] | None) -> np.ndarray:
    shape = spec.concrete_shape()
    is_image = len(shape) == 4 and shape[-1] in (1, 3)
    if not is_image:
        rng = np.random.default_rng(index)
        if spec.dtype == "int32":
            return rng.integers(0, 256, size=shape).astype(np.int32)
        return rng.random(size=shape, dtype=np.float64).astype(np.float32)
    _, height, width, channels = shape
    if images is None:
        pixels = _photo(PHOTOS[index], width, height, channels)
    else:
        from .images import load_image

        pixels = load_image(images[index], size=(height, width))
        if channels == 1:
            pixels = np.round(pixels @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)[..., None]
    batch = np.broadcast_to(pixels, shape)
    if spec.dtype == "int32":
        return np.ascontiguousarray(batch, dtype=np.int32)
    if imagenet:
        return (batch.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(np.float32)
    return (batch.astype(np.float32) / np.float32(255.0)).astype(np.float32)


def default_inputs(model: Any, images: Sequence[Any] | None = None) -> list[Any]:
    """One input per photograph (or per given image): an array, or a dict by input name when
    the model has several inputs."""
    specs = input_specs(model)
    imagenet = _is_imagenet_classifier(model)
    count = len(PHOTOS) if images is None else len(images)
    if count == 0:
        raise InvalidArgumentError("give at least one image to measure the model on.")
    out: list[Any] = []
    for index in range(count):
        values = {spec.name: _values(spec, index, imagenet, images) for spec in specs}
        out.append(next(iter(values.values())) if len(values) == 1 else values)
    return out
