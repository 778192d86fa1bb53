"""Finding a layer's weights by name in the decoded manifest, whatever the order or name scope."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError

F32 = np.float32


class WeightTable:
    """Weights by layer and short name, with or without name scopes (``model/conv1/kernel``)."""

    def __init__(self, weights: Mapping[str, np.ndarray]):
        self.weights = weights
        self.by_suffix: dict[tuple[str, str], list[str]] = {}
        for full in weights:
            parts = full.split("/")
            clean = parts[-1].split(":")[0]
            for i in range(len(parts) - 1):
                self.by_suffix.setdefault((parts[i], clean), []).append(full)

    def get(self, layer: str, short: str, shape: Sequence[int] | None) -> np.ndarray:
        """Weight ``short`` of ``layer`` as float32, checked against ``shape`` unless that is None."""
        full = layer + "/" + short
        names = [full] if full in self.weights else self.by_suffix.get((layer, short), [])
        if layer.count("/") == 0 and len(names) > 1:
            # keep only names where the layer is the segment just before the weight name
            names = [n for n in names if n.split("/")[-2] == layer] or names
        if not names:
            raise ModelFormatError(f"layer '{layer}' needs the weight '{full}', which is not in the weights manifest.")
        if len(names) > 1:
            raise ModelFormatError(f"layer '{layer}' weight '{short}' matches several weights: {', '.join(sorted(names))}.")
        value = self.weights[names[0]]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise ModelFormatError(f"weight '{names[0]}' of layer '{layer}' is not numeric.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ModelFormatError(f"weight '{names[0]}' of layer '{layer}' has shape {list(value.shape)}, "
                                   f"but the layer needs {list(shape)}.")
        return value.astype(F32, copy=False)
