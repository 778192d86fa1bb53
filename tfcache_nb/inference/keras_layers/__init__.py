"""The Keras layers a TF.js layers model can hold, one builder table per family of layers.

Each builder reads a layer's config and weights, checks its input shapes and returns the
call computing it plus its output shape, raising :class:`ModelFormatError` naming the layer
for anything it cannot run. Convolutions and Dense layers, which absorb the batch norms and
activations after them, are built in :mod:`..layers_model`.
"""

from __future__ import annotations

from . import activations, convolution, merge, normalization, pooling, reshaping
from .config import LayerBuilder

BUILDERS: dict[str, LayerBuilder] = {
    **activations.BUILDERS, **convolution.BUILDERS, **merge.BUILDERS, **normalization.BUILDERS,
    **pooling.BUILDERS, **reshaping.BUILDERS,
}
