"""The ``fused_ops`` attribute of _FusedConv2D, FusedDepthwiseConv2dNative and _FusedMatMul.

TF.js reads it as ``[extra op, activation]`` lower-cased: the extra op is BiasAdd (its bias
is the first fused argument) or, for convolutions, FusedBatchNorm (scale, offset, mean,
variance); Prelu's alpha is the argument after those. The activation runs after the bias.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from .. import ops
from ..ops.activations import select_negative_scaled

F32 = np.float32

#: fused activations the convolution kernels apply in place themselves
KERNEL_ACTIVATIONS = frozenset({"linear", "relu", "relu6", "sigmoid", "tanh"})
_OTHER_ACTIVATIONS = frozenset({"elu", "leakyrelu", "prelu"})
#: how many fused arguments each extra op reads before Prelu's alpha
_EXTRA_ARGS = {"biasadd": 1, "fusedbatchnorm": 4, "": 0}


@dataclasses.dataclass(frozen=True)
class FusedOps:
    extra: str  # 'biasadd', 'fusedbatchnorm' or ''
    activation: str  # 'linear', 'relu', ..., 'prelu'
    leaky_alpha: float = 0.2

    def alpha(self, args: Sequence[np.ndarray]) -> np.ndarray | None:
        """Prelu's alpha among the fused arguments (None for other activations)."""
        return args[_EXTRA_ARGS[self.extra]] if self.activation == "prelu" else None

    def activate(self, y: np.ndarray, args: Sequence[np.ndarray]) -> np.ndarray:
        """The activation over ``y`` (in place where it can), as TF.js computes it."""
        act = self.activation
        if act == "linear":
            return y
        if act in ("relu", "relu6", "sigmoid", "tanh", "elu"):
            return ops.ACTIVATIONS[act](y, out=y)
        if act == "leakyrelu":
            return select_negative_scaled(y, F32(self.leaky_alpha))
        return select_negative_scaled(y, np.asarray(self.alpha(args)).astype(y.dtype, copy=False))


def parse_fused_ops(fused_ops: Sequence[str], num_args: int, given: int, leaky_alpha: float = 0.2,
                    allow_batch_norm: bool = True) -> FusedOps:
    """The node's fused ops, checked against its argument count (TF.js's messages)."""
    names = [str(s).lower() for s in fused_ops]
    if len(names) > 2:
        raise ValueError(f"fused_ops {list(fused_ops)} has more than an extra op and an activation")
    extra = names[0] if names else ""
    act = names[1] if len(names) > 1 else "linear"
    allowed = ("biasadd", "fusedbatchnorm", "") if allow_batch_norm else ("biasadd", "")
    if extra not in allowed:
        raise ValueError(f"fused op {fused_ops[0]!r} is not supported")
    if act not in KERNEL_ACTIVATIONS and act not in _OTHER_ACTIVATIONS:
        raise ValueError(f"fused activation {act!r} is not supported")
    want = _EXTRA_ARGS[extra] + (act == "prelu")
    if extra == "biasadd" and num_args != want:
        raise ValueError(f"BiasAdd{' and Prelu' if act == 'prelu' else ''} needs {want} extra argument(s); "
                         f"the node has num_args={num_args}")
    if given < want:
        raise ValueError(f"fused ops {list(fused_ops)} need {want} extra argument(s); the node has {given}")
    return FusedOps(extra, act, float(leaky_alpha))
