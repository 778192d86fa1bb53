"""ImageNet class names in TensorFlow.js's order (from @tensorflow-models/mobilenet)."""

from __future__ import annotations

import json
from importlib import resources


def _load() -> list[str]:
    text = resources.files(__package__).joinpath("imagenet_classes.json").read_text(encoding="utf-8")
    names = json.loads(text)
    if not isinstance(names, list) or len(names) != 1000:  # pragma: no cover - packaging error
        raise RuntimeError("the packaged imagenet_classes.json does not hold 1000 class names.")
    return [str(n) for n in names]


#: the 1000 ImageNet class names; index i is output i of a 1000-class MobileNet
IMAGENET_CLASSES: list[str] = _load()
