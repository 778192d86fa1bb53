"""Folding a convolution's followers into it, shared by the layers and graph executors.

A batch norm or per-channel scale/shift right after a convolution or dense layer becomes
part of its kernel and bias, and a following element-wise activation runs in place on its
output: one kernel instead of three passes over the activations. A follower is folded only
when it is the sole reader of the kernel's output and that output is not asked for itself.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Sequence

import numpy as np

from . import ops
from .ops.padding import Padding

F32 = np.float32


class Readers:
    """Who reads each array (layer or node output), to know when a follower may be folded away."""

    def __init__(self, steps: Iterable[tuple[str, Sequence[str]]], keep: Iterable[str]):
        self._readers: dict[str, list[str]] = {}
        for name, inputs in steps:
            for src in inputs:
                self._readers.setdefault(src, []).append(name)
        self._keep = set(keep)

    def only_reader(self, name: str) -> str | None:
        """The one step reading ``name``, or None if several do or ``name`` must stay visible."""
        users = self._readers.get(name, [])
        if len(users) != 1 or name in self._keep:
            return None
        return users[0]


@dataclasses.dataclass
class FusedKernel:
    """A convolution or dense kernel with the followers folded into it so far.

    ``output`` is the array the fused kernel now computes (the last follower absorbed), so
    the executor registers its step under that name. Folding is done in float64.
    """

    kernel: np.ndarray
    bias: np.ndarray | None
    depthwise: bool
    output: str
    activation: str = "linear"
    absorbed: set[str] = dataclasses.field(default_factory=set)

    @property
    def channels(self) -> int:
        """Output channels: the last kernel axis, or channels x multiplier for a depthwise kernel."""
        k = self.kernel
        return k.shape[2] * k.shape[3] if self.depthwise else k.shape[-1]

    def fold_batch_norm(self, follower: str, gamma: np.ndarray | None, beta: np.ndarray | None,
                        mean: np.ndarray, variance: np.ndarray, epsilon: float) -> None:
        self.kernel, self.bias = ops.fold_batch_norm(self.kernel, self.bias, gamma, beta, mean, variance,
                                                     epsilon, depthwise=self.depthwise)
        self._absorb(follower)

    def fold_shift(self, follower: str, c: np.ndarray, subtract: bool = False) -> None:
        """Fold ``y + c`` (or ``y - c``) with ``c`` a per-channel vector; the kernel stays as it is.

        Not :func:`ops.fold_scale_offset` with an offset of ``-c``: ``b - c`` and ``b + (-c)``
        differ in the sign of a NaN.
        """
        c64 = c.astype(np.float64)
        b64 = np.zeros(self.channels) if self.bias is None else self.bias.astype(np.float64)
        self.bias = (b64 - c64 if subtract else b64 + c64).astype(F32)
        self._absorb(follower)

    def fold_scale(self, follower: str, c: np.ndarray) -> None:
        """Fold ``y * c`` with ``c`` a per-channel vector; a kernel without bias stays without one."""
        # adding -0.0 leaves every float as it is (adding +0.0 would turn -0.0 into +0.0)
        self.kernel, bias = ops.fold_scale_offset(self.kernel, self.bias, c, np.full(self.channels, -0.0),
                                                  self.depthwise)
        if self.bias is not None:
            self.bias = bias
        self._absorb(follower)

    def kernel_fn(self, strides: Sequence[int] | None = None, padding: Padding = "valid",
                  dilations: Sequence[int] = (1, 1)) -> Callable[[np.ndarray], np.ndarray]:
        """The fused kernel as a call: a dense layer without ``strides``, else a (depthwise) convolution."""
        k, b, act = self.kernel, self.bias, self.activation
        if strides is None:
            return lambda x: ops.dense(x, k, b, act)
        cls = ops.DepthwiseConv2D if self.depthwise else ops.Conv2D
        return cls(k, b, strides, padding, dilations, act)

    def fuse_activation(self, follower: str, activation: str) -> None:
        self.activation = activation
        self._absorb(follower)

    def _absorb(self, follower: str) -> None:
        self.absorbed.add(follower)
        self.output = follower


def fold_followers(fused: FusedKernel, readers: Readers, fold_one: Callable[[FusedKernel, str], bool]) -> None:
    """Offer each sole reader of the kernel's output to ``fold_one`` until it declines.

    ``fold_one`` folds the named follower into ``fused`` and returns True, or returns False.
    Nothing folds past an activation: its output is no longer affine in the kernel's.
    """
    while fused.activation == "linear":
        follower = readers.only_reader(fused.output)
        if follower is None or not fold_one(fused, follower):
            return
