"""The frame scheduler: TF1 control flow (Switch / Merge / Enter / Exit / NextIteration) run as
TF.js's executor does (graph_executor.ts, ``executeWithControlFlow``).

A node runs once all its inputs have a value in its loop frame and iteration (a Merge once any
has); Switch's untaken output is dead (None), so the branch behind it never runs.
"""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ...errors import ModelExecutionError
from .registry import ExecutionContext
from .step import Ref, Step, describe, first_shape

PLAIN, ENTER, EXIT, NEXT_ITERATION = range(4)
FRAME_KINDS = {"Enter": ENTER, "Exit": EXIT, "NextIteration": NEXT_ITERATION}


@dataclasses.dataclass(eq=False)
class FrameNode:
    """A node as the frame scheduler needs it, worked out when the schedule is made (not per run)."""

    name: str
    step: Step | None  # None: the node has its value before the run (a constant or a fed input)
    refs: tuple[Ref, ...]
    controls: tuple[str, ...]
    merge: bool  # ready once any input has a value (the others once all have)
    kind: int  # PLAIN, or how it moves between frames: ENTER, EXIT, NEXT_ITERATION
    frame: str  # Enter: the frame it enters
    constant: bool  # Enter: its value is the same in every iteration (kept in the outer frame)
    kids: list["FrameNode"] = dataclasses.field(default_factory=list)  # readers the outputs need
    # how many times its readers read each of its outputs (in one frame and iteration), as
    # (output index, count) pairs; none: never dropped
    reads: tuple[tuple[int, int], ...] = ()


def run_frames(start: Sequence[FrameNode], outputs: Sequence[Ref], env: Mapping[str, list[Any]],
               ctx: ExecutionContext, call: Callable[[Step, list[Any], ExecutionContext], list[Any]],
               output: Callable[[list[Any] | None, str, int], np.ndarray],
               timings: dict[str, float] | None, shapes: dict[str, tuple[int, ...]] | None,
               ) -> list[np.ndarray]:
    """The nodes after control flow, from ``env``: the values of the root frame so far.

    ``start`` are the nodes with a value before the frames run, whose readers may start;
    ``call`` runs one node, ``output`` checks a returned output.
    """
    values: dict[tuple[str, str], list[Any]] = {(n, ""): v for n, v in env.items()}
    get = values.get
    chains: dict[tuple, tuple[str, ...]] = {}

    def chain(frames: tuple) -> tuple[str, ...]:
        found = chains.get(frames)
        if found is None:
            keys = ["/".join(f"{f}-{i}" for f, i in frames[:k]) for k in range(len(frames), -1, -1)]
            found = chains[frames] = tuple(keys)
        return found

    def lookup(name: str, index: int, keys: tuple[str, ...]) -> Any:
        for key in keys:
            outs = get((name, key))
            if outs is not None:
                return outs[index] if index < len(outs) else None
        return None

    # values made inside a loop are dropped once their readers in that frame and iteration
    # ran; a dead output (Switch's untaken one) has no readers to wait for
    unread: dict[tuple[str, str], int] = {}

    def unread_count(fnode: FrameNode, outs: list[Any]) -> int:
        return sum(n for i, n in fnode.reads if i < len(outs) and outs[i] is not None)

    def read(key: tuple[str, str], index: int) -> None:
        left = unread.get(key)
        if left is not None:
            outs = values[key]
            if index < len(outs) and outs[index] is not None:
                if left > 1:
                    unread[key] = left - 1
                else:
                    del unread[key], values[key]

    added: set[tuple[str, str]] = set()
    stack: list[tuple[FrameNode, tuple]] = [(n, ()) for n in start]
    clock = time.perf_counter
    while stack:
        fnode, frames = stack.pop()
        keys = chain(frames)
        name = fnode.name
        step = fnode.step
        if step is not None and (name, "") not in values:
            args = [lookup(src, i, keys) for src, i in fnode.refs]
            if timings is None:
                outs = call(step, args, ctx)
            else:
                t0 = clock()
                outs = call(step, args, ctx)
                timings[name] = timings.get(name, 0.0) + clock() - t0
                if shapes is not None:
                    shapes[name] = first_shape(outs)
            here = keys[0]
            if here and unread:
                for src, index in fnode.refs:
                    read((src, here), index)
                for src in fnode.controls:
                    read((src, here), 0)
            kind = fnode.kind
            if kind == PLAIN:
                values[(name, here)] = outs
                if here and fnode.reads:
                    left = unread_count(fnode, outs)
                    if left:
                        unread[(name, here)] = left
            else:
                store = frames
                if kind == ENTER:
                    entered = frames + ((fnode.frame, 0),)
                    store = frames if fnode.constant else entered
                    frames = entered
                else:
                    if not frames:
                        raise ModelExecutionError(name, step.node.op, describe(args),
                                                  ValueError("it is outside any loop"))
                    frames = store = (frames[:-1] if kind == EXIT
                                      else frames[:-1] + ((frames[-1][0], frames[-1][1] + 1),))
                stored = chain(store)[0]
                values[(name, stored)] = outs
                if stored and fnode.reads and not fnode.constant:
                    left = unread_count(fnode, outs)
                    if left:
                        unread[(name, stored)] = left
                keys = chain(frames)
        here = keys[0]
        for kid in fnode.kids:
            mark = (kid.name, here)
            if mark in added:
                continue
            if kid.merge:
                ready = False
                for src, i in kid.refs:
                    if lookup(src, i, keys) is not None:
                        ready = True
                        break
            else:
                ready = True
                for src, i in kid.refs:
                    if lookup(src, i, keys) is None:
                        ready = False
                        break
                if ready:
                    for src in kid.controls:
                        if lookup(src, 0, keys) is None:
                            ready = False
                            break
            if ready:
                added.add(mark)
                stack.append((kid, frames))
    return [output(values.get((name, "")), name, index) for name, index in outputs]


def frame_name(step: Step) -> str:
    """The frame an Enter node enters (its ``frame_name`` attribute, base64 in TF.js's JSON)."""
    raw = step.node.attr.get("frame_name") or {}
    try:
        return base64.b64decode(str(raw.get("s", "")), validate=True).decode("utf-8")
    except ValueError:
        return str(raw.get("s", ""))


def is_constant(step: Step) -> bool:
    """Whether an Enter node's value is the same in every iteration (kept in the outer frame)."""
    raw = step.node.attr.get("is_constant") or {}
    return bool(raw.get("b", False))
