"""The ``fused_ops`` attribute of _FusedConv2D, FusedDepthwiseConv2dNative and _FusedMatMul.

One reading for both runtimes (the graph executors and the preplanned MobileNet path), as
TF.js 4.22's executors read it: ``[extra op, activation]`` lower-cased, anything after them
ignored. Only ``biasadd`` means something as the extra op (its bias is the first fused
argument, and ``num_args`` must count it, plus Prelu's alpha); any other extra op adds
nothing, except ``fusedbatchnorm``, which TF.js refuses. A missing activation is linear;
TF.js fuses only linear, relu, relu6, elu, leakyrelu, prelu and sigmoid. Where the fused
arguments sit differs: a convolution without BiasAdd takes Prelu's alpha from the first
argument, while _FusedMatMul always reads ``[bias, alpha]`` (TF.js adds its first argument
as a bias even without BiasAdd).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from .. import ops
from ..ops.activations import select_negative_scaled

F32 = np.float32

#: fused activations the convolution kernels apply in place themselves
KERNEL_ACTIVATIONS = frozenset({"linear", "relu", "relu6", "sigmoid"})
#: every activation TF.js 4.22's fused kernels know (fused_util.applyActivation)
FUSED_ACTIVATIONS = KERNEL_ACTIVATIONS | {"elu", "leakyrelu", "prelu"}


@dataclasses.dataclass(frozen=True)
class FusedOps:
    bias_at: int | None  # which fused argument is the bias (None: no bias)
    activation: str  # 'linear', 'relu', ..., 'prelu'
    leaky_alpha: float = 0.2
    alpha_at: int | None = None  # which fused argument is Prelu's alpha

    def bias(self, args: Sequence[np.ndarray]) -> np.ndarray | None:
        """The bias among the fused arguments (None when none is added)."""
        return None if self.bias_at is None else args[self.bias_at]

    def alpha(self, args: Sequence[np.ndarray]) -> np.ndarray | None:
        """Prelu's alpha among the fused arguments (None for other activations)."""
        return None if self.alpha_at is None else args[self.alpha_at]

    def activate(self, y: np.ndarray, args: Sequence[np.ndarray]) -> np.ndarray:
        """The activation over ``y`` (in place where it can), as TF.js computes it."""
        act = self.activation
        if act == "linear":
            return y
        if act in ("relu", "relu6", "sigmoid", "elu"):
            return ops.ACTIVATIONS[act](y, out=y)
        if act == "leakyrelu":
            return select_negative_scaled(y, F32(self.leaky_alpha))
        return select_negative_scaled(y, np.asarray(self.alpha(args)).astype(y.dtype, copy=False))


NO_FUSED_OPS = FusedOps(None, "linear")


def parse_fused_ops(fused_ops: Sequence[str], num_args: int, given: int, leaky_alpha: float = 0.2,
                    matmul: bool = False) -> FusedOps:
    """The node's fused ops as TF.js reads them, checked against its argument count (TF.js's checks,
    plus one of ours: an argument it reads must be there)."""
    names = [str(s).lower() for s in fused_ops]
    extra = names[0] if names else ""
    act = names[1] if len(names) > 1 else "linear"
    if extra == "fusedbatchnorm":
        raise ValueError("a fused FusedBatchNorm is not supported (TF.js 4.22 refuses it too)")
    if act not in FUSED_ACTIVATIONS:
        raise ValueError(f"fused activation {act!r} is not supported (TF.js 4.22 fuses "
                         f"{', '.join(sorted(FUSED_ACTIVATIONS))})")
    bias_add = extra == "biasadd"
    prelu = act == "prelu"
    if bias_add and num_args != 1 + prelu:
        raise ValueError(f"BiasAdd{' and Prelu' if prelu else ''} needs {1 + prelu} extra argument(s); "
                         f"the node has num_args={num_args}")
    bias_at = 0 if bias_add or (matmul and given) else None
    alpha_at = (1 if bias_add or matmul else 0) if prelu else None
    need = 1 + max((at for at in (bias_at, alpha_at) if at is not None), default=-1)
    if given < need:
        raise ValueError(f"fused ops {list(fused_ops)} need {need} extra argument(s); the node has {given}")
    return FusedOps(bias_at, act, float(leaky_alpha), alpha_at)
