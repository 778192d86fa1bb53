"""An execution plan: steps in topological order, each array freed after its last consumer.

Both executors (layers and graph models) compile to a :class:`Plan`, so predictions share
one small, fast loop, and everything that can be decided ahead (order, fusion, shapes,
when an intermediate array may be dropped, which buffer each convolution writes into) is
decided at build time.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import threading
import time
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


@dataclasses.dataclass(frozen=True)
class StepTiming:
    """How long one step of a prediction took: the median of several runs, in seconds."""

    output: str
    op: str
    shape: tuple[int, ...]
    seconds: float


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
        self._programs: dict[tuple[int, ...], list] = {}  # input shape -> steps bound to buffers
        self._fed_buffers: list[np.ndarray] = []  # padded inputs that producers fill directly
        self._arena_grew = False
        self.activation_bytes_per_image = 0  # the largest intermediate of one image, once known
        self.step_shapes: dict[str, tuple[int, ...]] = {}  # each step's output shape in the last compile
        # where each array sits in a run's values: the input first, then step i's output at i + 1
        self._index = {input_name: 0} | {step.output: i + 1 for i, step in enumerate(self.steps)}
        self._output_index = [self._index[n] for n in self.outputs]

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

    def retained_bytes(self) -> int:
        """Bytes of the buffers kept between predictions: the arena and the bound kernels' scratch."""
        scratch = [a for program in self._programs.values() for fn, _, _ in program
                   for a in getattr(fn, "buffers", ())]
        return sum(a.nbytes for a in self._arena.values()) + sum(a.nbytes for a in scratch + self._fed_buffers)

    def _buffer(self, slot: int, shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        flat = self._arena.get(slot)
        if flat is None or flat.size < size:
            flat = self._arena[slot] = np.empty(size, np.float32)
            self._arena_grew = True
        return flat[:size].reshape(shape)

    def _program(self, x: np.ndarray) -> list:
        """The program bound to ``x.shape``, compiled (by running it on ``x``) the first time; hold the lock."""
        program = self._programs.get(x.shape)
        if program is None:
            self._programs = {}  # one shape at a time keeps memory bounded
            self._arena_grew = False
            program = self._compile(x)
            if self._arena_grew:  # earlier steps hold buffers since replaced: bind again to the final ones
                program = self._compile(x)
            self._programs = {x.shape: program}
        return program

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            program = self._program(x)
            values: list[np.ndarray | None] = [None] * (len(self.steps) + 1)
            values[0] = x
            i = 0
            try:
                for i, (fn, args, free) in enumerate(program):
                    values[i + 1] = fn(*[values[a] for a in args])
                    for a in free:
                        values[a] = None
            except (ValueError, IndexError, TypeError, FloatingPointError) as exc:
                self._programs = {}
                step = self.steps[i]
                shapes = [list(values[a].shape) for a in program[i][1] if values[a] is not None]
                raise ModelFormatError(f"'{step.output}' ({step.op}) cannot run on inputs of shape "
                                       f"{shapes}: {exc}") from None
            return [values[k].copy() if n in self._aliased else values[k]
                    for n, k in zip(self.outputs, self._output_index)]

    def profile(self, x: np.ndarray, repeat: int = 10) -> list[StepTiming]:
        """The median time of each step over ``repeat`` predictions on ``x`` (after one more), in plan order.

        Steps run exactly as in :meth:`run` (same bound buffers, same order), so each time
        includes the cache misses a step meets in a real prediction, which timing one layer
        over and over would hide.
        """
        with self._lock:
            program = self._program(x)
            times: list[list[float]] = [[] for _ in program]
            shapes: list[tuple[int, ...]] = [()] * len(program)
            clock = time.perf_counter
            for run in range(repeat + 1):  # the first run warms the caches and is not counted
                values: list[np.ndarray | None] = [None] * (len(self.steps) + 1)
                values[0] = x
                for i, (fn, args, free) in enumerate(program):
                    start = clock()
                    values[i + 1] = fn(*[values[a] for a in args])
                    if run:
                        times[i].append(clock() - start)
                    shapes[i] = values[i + 1].shape
                    for a in free:
                        values[a] = None
        return [StepTiming(step.output, step.op, tuple(shape), statistics.median(t))
                for step, shape, t in zip(self.steps, shapes, times)]

    def _compile(self, x: np.ndarray) -> list[tuple[Callable[..., np.ndarray], tuple[int, ...], tuple[int, ...]]]:
        """The steps bound to input shape ``x.shape``: (call, argument indices, indices to drop).

        Kernels that write into buffers are bound to their slot's buffer (views and scratch made
        once, see ``Conv2D.bind``); a convolution whose only reader is the next step, a depthwise
        convolution, has its activation write straight into that step's padded input buffer.
        Shapes of the other steps' outputs are only known by running them, so compiling runs
        the steps once on ``x`` (on the caller's input: nothing is computed twice).
        """
        index = self._index
        program = []
        self._fed_buffers = []
        values: list[np.ndarray | None] = [x] + [None] * len(self.steps)
        fed_next: dict[int, np.ndarray] = {}  # step -> padded buffer its producer fills
        for i, (step, free) in enumerate(zip(self.steps, self._free_after)):
            args = tuple(index[n] for n in step.inputs)
            arrays = [values[a] for a in args]
            try:
                fn = self._bind(i, step, arrays, fed_next)
                values[i + 1] = fn(*arrays)
            except (ValueError, IndexError, TypeError, FloatingPointError) as exc:
                shapes = [list(a.shape) for a in arrays]
                raise ModelFormatError(f"'{step.output}' ({step.op}) cannot run on inputs of shape "
                                       f"{shapes}: {exc}") from None
            self.step_shapes[step.output] = values[i + 1].shape
            self.activation_bytes_per_image = max(self.activation_bytes_per_image,
                                                  values[i + 1].nbytes // max(1, x.shape[0]))
            dead = tuple(index[n] for n in free)
            for a in dead:
                values[a] = None
            program.append((fn, args, dead))
        return program

    def _bind(self, i: int, step: Step, arrays: list[np.ndarray],
              fed_next: dict[int, np.ndarray]) -> Callable[..., np.ndarray]:
        """Step ``i``'s call for these input arrays (bound to buffers when its kernel can be)."""
        slot = self._slots[i]
        if slot is None or not hasattr(step.fn, "bind") or len(arrays) != 1:
            return step.fn
        shape = arrays[0].shape
        out = self._buffer(slot, (shape[0], *step.fn.output_shape(shape[1:])))
        targets = None
        if self._feeds_next(i):
            nxt = self.steps[i + 1].fn
            fed_next[i + 1] = buf = nxt.padded_buffer(out.shape)
            self._fed_buffers.append(buf)
            targets = nxt.input_targets(buf, out)
        fed = fed_next.pop(i, None)
        if fed is not None:
            return step.fn.bind(shape, out, targets, fed=fed)
        return step.fn.bind(shape, out, targets)

    def _feeds_next(self, i: int) -> bool:
        """Whether step i+1, a kernel taking a fed input, is the only reader of step i's output."""
        step = self.steps[i]
        if i + 1 >= len(self.steps) or step.output in self.outputs:
            return False
        nxt = self.steps[i + 1]
        return (nxt.inputs == [step.output] and getattr(nxt.fn, "takes_fed_input", False)
                and self._slots[i + 1] is not None and getattr(step.fn, "activation", "softmax") != "softmax"
                and not any(step.output in later.inputs for later in self.steps[i + 2:]))
