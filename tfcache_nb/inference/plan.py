"""An execution plan: steps in topological order, each array freed after its last consumer.

Both executors (layers and graph models) compile to a :class:`Plan`, so predictions share
one small, fast loop, and everything that can be decided ahead (order, fusion, shapes,
when an intermediate array may be dropped) is decided at build time.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Callable, Sequence

import numpy as np

from ..errors import ModelFormatError


@dataclasses.dataclass
class Step:
    """Compute array ``output`` from arrays ``inputs`` with ``fn``; ``shape`` excludes the batch."""

    output: str
    inputs: list[str]
    fn: Callable[..., np.ndarray]
    op: str
    shape: tuple[int | None, ...] = ()


class Plan:
    """Steps that turn the input batch into the named outputs."""

    def __init__(self, input_name: str, steps: Sequence[Step], outputs: Sequence[str]):
        self.input_name = input_name
        self.steps = list(steps)
        self.outputs = list(outputs)
        produced = {input_name} | {s.output for s in self.steps}
        for name in self.outputs:
            if name not in produced:
                raise ModelFormatError(f"the model output '{name}' is not computed by any layer or node.")
        # index of the last step that reads each array; outputs are never freed
        last: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            for name in step.inputs:
                last[name] = i
        self._free_after: list[list[str]] = [[] for _ in self.steps]
        for name, i in last.items():
            if name not in self.outputs:
                self._free_after[i].append(name)
        self._lock = threading.Lock()  # kernels reuse scratch buffers between calls

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            values: dict[str, np.ndarray] = {self.input_name: x}
            for step, free in zip(self.steps, self._free_after):
                try:
                    values[step.output] = step.fn(*[values[n] for n in step.inputs])
                except (ValueError, IndexError, TypeError, FloatingPointError) as exc:
                    shapes = [list(values[n].shape) for n in step.inputs]
                    raise ModelFormatError(f"'{step.output}' ({step.op}) cannot run on inputs of shape "
                                           f"{shapes}: {exc}") from None
                for name in free:
                    del values[name]
            return [values[n] for n in self.outputs]
