"""An execution plan: steps in topological order, each array freed after its last consumer.

Both executors (layers and graph models) compile to a :class:`Plan`, so predictions share
one small, fast loop, and everything that can be decided ahead (order, fusion, shapes,
when an intermediate array may be dropped, which buffer each convolution writes into) is
decided at build time.
"""

from __future__ import annotations

import dataclasses
import math
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
        self._slots, self._aliased = self._assign_slots()
        self._arena: dict[int, np.ndarray] = {}  # slot -> flat float32 buffer, grown as needed
        self._lock = threading.Lock()  # kernels and the arena reuse buffers between calls

    def _assign_slots(self) -> tuple[list[int | None], set[str]]:
        """A buffer slot for each step that can write into one, reused once no live array needs it.

        Fresh multi-megabyte outputs cost a page fault per 4 KB on every prediction. Steps that
        do not write into a slot may return views of their inputs (reshape), so an array counts
        as holding every slot its inputs held. Returns the slots and the outputs that hold one
        (copied before they are returned, since the next prediction overwrites the slots).
        """
        holds: dict[str, frozenset[int]] = {self.input_name: frozenset()}
        users: dict[int, int] = {}
        free: list[int] = []
        slots: list[int | None] = []
        for step, dead in zip(self.steps, self._free_after):
            inherited = frozenset().union(*[holds[n] for n in step.inputs])
            if getattr(step.fn, "writes_into", False):
                slot = free.pop() if free else len(users)
                slots.append(slot)
                holds[step.output] = frozenset([slot])
            else:
                slots.append(None)
                holds[step.output] = inherited
            for slot in holds[step.output]:
                users[slot] = users.get(slot, 0) + 1
            for name in dead:
                for slot in holds[name]:
                    users[slot] -= 1
                    if users[slot] == 0:
                        free.append(slot)
        return slots, {name for name in self.outputs if holds.get(name)}

    def _buffer(self, slot: int, shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        flat = self._arena.get(slot)
        if flat is None or flat.size < size:
            flat = self._arena[slot] = np.empty(size, np.float32)
        return flat[:size].reshape(shape)

    def _call(self, i: int, step: Step, args: list[np.ndarray]) -> np.ndarray:
        slot = self._slots[i]
        if slot is None:
            return step.fn(*args)
        shape = (args[0].shape[0], *step.fn.output_shape(args[0].shape[1:]))
        return step.fn(*args, out=self._buffer(slot, shape))

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            values: dict[str, np.ndarray] = {self.input_name: x}
            for i, (step, free) in enumerate(zip(self.steps, self._free_after)):
                args = [values[n] for n in step.inputs]
                try:
                    values[step.output] = self._call(i, step, args)
                except (ValueError, IndexError, TypeError, FloatingPointError) as exc:
                    shapes = [list(a.shape) for a in args]
                    raise ModelFormatError(f"'{step.output}' ({step.op}) cannot run on inputs of shape "
                                           f"{shapes}: {exc}") from None
                for name in free:
                    del values[name]
            return [values[n].copy() if n in self._aliased else values[n] for n in self.outputs]
