"""The dynamic graph executor: a GraphDef (or one of its library functions) run node by node.

At build time every op the outputs need is looked up in the op table (all unsupported ops
are refused together, naming op and node), and nodes computed from constants alone are
evaluated once. At run time the remaining nodes run in one of two ways:

- a graph without TF1 control flow runs in a fixed topological order, each value dropped
  after its last reader;
- a graph with Switch / Merge / Enter / Exit / NextIteration runs the nodes no control flow
  leads to in that fixed order first, and the rest through the frame scheduler (frames.py).

Steps are in step.py, Const values in constants.py.

Any failure inside a node becomes one :class:`~tfcache_nb.errors.ModelExecutionError` naming
the node, its op and its inputs' dtypes and shapes.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ...errors import ModelExecutionError, ModelFormatError, quoted
from ..graph_def import GraphNode, parse_node_list, split_input, topological_order
from .constants import const_value
from .executors import ALL_EXECUTORS
from .frames import ENTER, FRAME_KINDS, PLAIN, FrameNode, frame_name, is_constant, run_frames
from .heap import keep_freed_memory
from .op_list.control import FRAME_OPS
from .op_table import op_table
from .params import binder, resolve_attrs
from .registry import ExecutionContext
from .step import Ref, Step, describe, first_shape, tfjs_array

#: ops never evaluated at build time, even on constant inputs: inputs, side effects, randomness
_NOT_FOLDED = FRAME_OPS | {
    "Placeholder", "PlaceholderWithDefault", "NoOp", "Print",
    "RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "Multinomial",
    "RandomShuffle", "RandomGamma", "StatelessRandomUniformV2",
}

#: output argument names of ops with several of them (function bodies read ``node:arg:i``)
OUTPUT_ARGS: dict[str, tuple[str, ...]] = {
    "Switch": ("output_false", "output_true"), "Merge": ("output", "value_index"),
    "TopKV2": ("values", "indices"), "Unique": ("y", "idx"),
    "NonMaxSuppressionV4": ("selected_indices", "valid_outputs"),
    "NonMaxSuppressionV5": ("selected_indices", "selected_scores", "valid_outputs"),
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV3": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
                         "reserve_space_3"),
    "TensorArrayV3": ("handle", "flow"), "TensorArrayConcatV3": ("value", "lengths"),
    "TensorListPopBack": ("output_handle", "tensor"), "TensorListConcat": ("tensor", "lengths"),
    "TensorListConcatV2": ("tensor", "lengths"), "MaxPoolWithArgmax": ("output", "argmax"),
}

#: dtypes an executor's result keeps as it is
_TFJS_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.int32, np.bool_, np.complex64, object))


@dataclasses.dataclass
class _Schedule:
    """How to compute some outputs: a fixed order (``dynamic`` False) or the frame scheduler."""

    outputs: list[Ref]
    dynamic: bool
    steps: list[Step]
    free_after: list[list[str]]  # static: values to drop after each step
    used: set[str]  # dynamic: the nodes the outputs need
    start: list[FrameNode]  # dynamic: nodes with a value before the frames run, whose readers may start
    preset: list[str] = dataclasses.field(default_factory=list)  # dynamic: constants the run reads


class GraphProgram:
    """A graph (or library function) ready to run on named input arrays.

    ``inputs`` are the names of the nodes fed by the caller; ``outputs`` the refs returned by
    default. ``functions`` is the graph's library (raw FunctionDefs by name).
    """

    def __init__(self, nodes: Sequence[GraphNode], weights: Mapping[str, np.ndarray], inputs: Sequence[str],
                 outputs: Sequence[Ref], functions: Mapping[str, Any] | None = None, where: str = "graph",
                 built_functions: dict[str, "GraphProgram | None"] | None = None):
        self.where = where
        if where == "graph":
            keep_freed_memory()
        self.nodes = {n.name: n for n in nodes}
        self.order = [n.name for n in nodes]
        self.inputs = list(inputs)
        # inputs that must be fed (a PlaceholderWithDefault runs its default when not fed)
        self._fed = {n for n in self.inputs if n in self.nodes and self.nodes[n].op != "PlaceholderWithDefault"}
        self.outputs = list(outputs)
        self._library = dict(functions or {})
        # library functions built so far, shared by the graph and its functions (None: being built)
        self._functions: dict[str, GraphProgram | None] = {} if built_functions is None else built_functions
        self._node_state: dict[str, dict] = {}
        self._children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for node in nodes:
            for ref in node.inputs:
                src = split_input(ref)[0]
                if src not in self.nodes:
                    raise ModelFormatError(f"node {quoted(node.name)} reads {quoted(src)}, which is not a node "
                                           f"of the {where}.")
                self._children[src].append(node.name)
            for src in node.control_inputs:
                if src not in self.nodes:
                    raise ModelFormatError(f"node {quoted(node.name)} depends on {quoted(src)}, which is not a "
                                           f"node of the {where}.")
                self._children[src].append(node.name)
        for name in list(self.inputs) + [r[0] for r in self.outputs]:
            if name not in self.nodes:
                raise ModelFormatError(f"the {where} has no node named {quoted(name)}.")
        self.values: dict[str, list[Any]] = {}  # constants and nodes folded from them
        for node in nodes:
            if node.op == "Const" and node.name not in self.inputs:
                self.values[node.name] = [const_value(node, weights, where)]
        self._weights = weights
        self._schedules: dict[tuple[Ref, ...], _Schedule] = {}
        self._steps: dict[str, Step] = {}
        self.schedule(self.outputs)  # refuses unsupported ops and folds constants now

    # ------------------------------------------------------------------ building
    def needed(self, outputs: Sequence[Ref]) -> set[str]:
        """The nodes that computing ``outputs`` may run (through inputs and control inputs)."""
        seen: set[str] = set()
        stack = [name for name, _ in outputs]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in self.values or name in self._fed:
                continue
            node = self.nodes[name]
            stack.extend(split_input(r)[0] for r in node.inputs)
            stack.extend(node.control_inputs)
        return seen

    def schedule(self, outputs: Sequence[Ref]) -> _Schedule:
        key = tuple(outputs)
        found = self._schedules.get(key)
        if found is not None:
            return found
        for name, _ in outputs:
            if name not in self.nodes:
                raise ModelFormatError(f"the {self.where} has no node named {quoted(name)}.")
        used = self.needed(outputs)
        self._check_ops(used)
        self._fold(used)
        used = self.needed(outputs)  # folding cuts the graph behind folded nodes
        steps = {name: self._step(self.nodes[name]) for name in used
                 if name not in self.values and name not in self._fed}
        dynamic = any(step.node.op in FRAME_OPS for step in steps.values())
        if dynamic:
            # nodes no control flow leads to run once, in the root frame: in a fixed order first
            flow = self._after_control_flow(used, steps)
            prefix = {n: steps[n] for n in self.order if n in steps and n not in flow}
            ordered = [prefix[n] for n in self._topological([(n, 0) for n in prefix], prefix)]
            read_by_flow = {src for n in flow for src in self._sources(n)}
            before = set(prefix) | set(self.values) | self._fed
            start = [n for n in self.order if n in before and n in used
                     and any(c in flow for c in self._children[n])]
            start += [n for n in self.order if n in flow and not self.nodes[n].inputs
                      and not self.nodes[n].control_inputs]
            frame_nodes = self._frame_nodes(used, steps, {name for name, _ in outputs})
            sched = _Schedule(list(outputs), True, ordered, self._free_lists(ordered, outputs, read_by_flow), used,
                              [frame_nodes[n] for n in start], [n for n in self.order if n in used and n in self.values])
        else:
            ordered = [steps[n] for n in self._topological(outputs, steps)]
            sched = _Schedule(list(outputs), False, ordered, self._free_lists(ordered, outputs), used, [])
        self._schedules[key] = sched
        return sched

    def _sources(self, name: str) -> list[str]:
        node = self.nodes[name]
        return [split_input(r)[0] for r in node.inputs] + list(node.control_inputs)

    def _after_control_flow(self, used: set[str], steps: Mapping[str, Step]) -> set[str]:
        """The nodes of ``used`` that control flow ops (Switch, Enter, ...) or their readers lead to."""
        stack = [n for n, step in steps.items() if step.node.op in FRAME_OPS]
        flow: set[str] = set()
        while stack:
            name = stack.pop()
            if name in flow:
                continue
            flow.add(name)
            stack.extend(c for c in self._children[name] if c in used and c in steps)
        return flow

    def _frame_nodes(self, used: set[str], steps: Mapping[str, Step], keep: set[str]) -> dict[str, FrameNode]:
        nodes: dict[str, FrameNode] = {}
        for name in self.order:
            if name not in used:
                continue
            node = self.nodes[name]
            step = steps.get(name)
            kind = FRAME_KINDS.get(node.op, PLAIN)
            enter = kind == ENTER and step is not None
            nodes[name] = FrameNode(name, step, tuple(split_input(r) for r in node.inputs),
                                     tuple(node.control_inputs), node.op == "Merge", kind,
                                     frame_name(step) if enter else "", enter and is_constant(step))
        reads: dict[str, dict[int, int]] = {}
        for fnode in nodes.values():
            fnode.kids = [nodes[c] for c in dict.fromkeys(self._children[fnode.name]) if c in nodes]
            for src, index in list(fnode.refs) + [(c, 0) for c in fnode.controls]:
                counts = reads.setdefault(src, {})
                counts[index] = counts.get(index, 0) + 1
        for name, counts in reads.items():
            if name in nodes and name not in keep:
                nodes[name].reads = tuple(counts.items())
        return nodes

    def _check_ops(self, used: set[str]) -> None:
        table = op_table()
        missing: dict[str, list[str]] = {}
        for name in self.order:
            if name in used and name not in self.values and name not in self._fed:
                op = self.nodes[name].op
                if op not in table or op not in ALL_EXECUTORS:
                    missing.setdefault(op, []).append(name)
        if missing:
            parts = []
            for op, names in sorted(missing.items()):
                more = f" and {len(names) - 1} more" if len(names) > 1 else ""
                parts.append(f"{quoted(op)} (node {quoted(names[0])}{more})")
            raise ModelFormatError(f"the {self.where} uses {len(missing)} op{'s' if len(missing) > 1 else ''} "
                                   f"that {'are' if len(missing) > 1 else 'is'} not supported: " + ", ".join(parts) + ".")
        for name in used:
            node = self.nodes[name]
            for spec in node.attr.values():
                func = spec.get("func") if isinstance(spec, Mapping) else None
                if isinstance(func, Mapping) and func.get("name"):
                    self.function(str(func["name"]))

    def _step(self, node: GraphNode) -> Step:
        step = self._steps.get(node.name)
        if step is None:
            opdef = op_table()[node.op]
            attrs = resolve_attrs(node, opdef)
            inputs = [split_input(r) for r in node.inputs]
            constants = {k: self.values[src][i] for k, (src, i) in enumerate(inputs)
                         if src in self.values and i < len(self.values[src])}
            step = self._steps[node.name] = Step(node, opdef, ALL_EXECUTORS[node.op], inputs, attrs,
                                                 binder(node, opdef, attrs, constants))
        return step

    def _fold(self, used: set[str]) -> None:
        """Evaluate once the nodes whose inputs are all constants (Kahn's order over ``used``)."""
        pending: dict[str, int] = {}
        readers: dict[str, list[str]] = {}
        ready: list[str] = []
        for name in self.order:
            if name not in used or name in self.values or name in self.inputs:
                continue
            node = self.nodes[name]
            sources = {split_input(r)[0] for r in node.inputs} | set(node.control_inputs)
            if node.op in _NOT_FOLDED or not node.inputs or op_table()[node.op].family == "control":
                continue  # control ops make or change containers: every run needs its own
            waiting = [s for s in sources if s not in self.values]
            pending[name] = len(waiting)
            for s in waiting:
                readers.setdefault(s, []).append(name)
            if not waiting:
                ready.append(name)
        ctx = self.context()
        ready.reverse()
        while ready:
            name = ready.pop()
            step = self._step(self.nodes[name])
            args = [self._const_output(step, ref) for ref in step.inputs]
            try:
                self.values[name] = self.call(step, args, ctx)
            except ModelExecutionError as exc:
                raise ModelFormatError(f"node {quoted(name)} ({step.node.op}) cannot be computed from its constant "
                                       f"inputs {describe(args)}: {exc.reason}") from None
            for r in readers.get(name, ()):
                pending[r] -= 1
                if pending[r] == 0:
                    ready.append(r)

    def _const_output(self, step: Step, ref: Ref) -> Any:
        outs = self.values[ref[0]]
        if ref[1] >= len(outs):
            raise ModelFormatError(f"node {quoted(step.node.name)} reads output {ref[1]} of {quoted(ref[0])}, "
                                   f"which has {len(outs)}.")
        return outs[ref[1]]

    def _topological(self, outputs: Sequence[Ref], steps: Mapping[str, Step]) -> list[str]:
        def sources(name: str) -> list[str]:
            return self._sources(name) if name in steps else []

        order = topological_order([name for name, _ in outputs], sources, self.where)
        return [name for name in order if name in steps]

    def _free_lists(self, steps: Sequence[Step], outputs: Sequence[Ref], keep: Iterable[str] = ()) -> list[list[str]]:
        """The values to drop after each step: those it reads last (not the outputs nor ``keep``)."""
        last: dict[str, int] = {}
        for i, step in enumerate(steps):
            for src, _ in step.inputs:
                last[src] = i
        keep = {name for name, _ in outputs} | set(keep)
        free: list[list[str]] = [[] for _ in steps]
        for name, i in last.items():
            if name not in keep and name not in self.values and name not in self._fed:
                free[i].append(name)
        return free

    def function(self, name: str) -> "GraphProgram":
        """The library function ``name`` as a program of its own (built once)."""
        if name in self._functions:
            program = self._functions[name]
            if program is None:
                raise ModelFormatError(f"the function {quoted(name)} calls itself, which TensorFlow does not allow.")
            return program
        raw = self._library.get(name)
        if raw is None:
            raise ModelFormatError(f"the {self.where} calls the function {quoted(name)}, which is not in its "
                                   "library.")
        self._functions[name] = None
        try:
            program = function_program(raw, self._weights, self._library, self._functions)
        except BaseException:
            del self._functions[name]
            raise
        self._functions[name] = program
        return program

    def context(self) -> ExecutionContext:
        return ExecutionContext(self._library, self._run_function, self._node_state)

    def _run_function(self, name: str, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        program = self.function(name)
        if len(args) != len(program.inputs):
            raise ValueError(f"function {name!r} takes {len(program.inputs)} arguments, not {len(args)}")
        return program.run(dict(zip(program.inputs, args)))

    # ------------------------------------------------------------------ running
    def call(self, step: Step, args: list[Any], ctx: ExecutionContext) -> list[Any]:
        """Run one node; any failure becomes a ModelExecutionError naming it."""
        try:
            result = step.fn(step.bind(args), ctx)
            if type(result) is np.ndarray and result.dtype in _TFJS_DTYPES:
                return [result]
            if isinstance(result, (list, tuple)):
                return [tfjs_array(r) for r in result]
            return [tfjs_array(result)]
        except ModelExecutionError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure of a node is reported as that node's
            node = step.node
            raise ModelExecutionError(node.name, node.op, describe(args), exc) from None

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[Ref] | None = None,
            timings: dict[str, float] | None = None, shapes: dict[str, tuple[int, ...]] | None = None,
            ) -> list[np.ndarray]:
        """The ``outputs`` (default: the program's) given arrays for its input nodes.

        ``timings``, when given, receives each node's seconds (summed over loop iterations),
        and ``shapes`` the shape of its first output.
        """
        sched = self.schedule(self.outputs if outputs is None else outputs)
        ctx = self.context()
        for name in self._fed:
            if name not in feeds and name in sched.used:
                raise ModelExecutionError(name, self.nodes[name].op, "[]", ValueError("no value was given for it"))
        if sched.dynamic:
            env: dict[str, list[Any]] = {n: self.values[n] for n in sched.preset}
        else:
            env = dict(self.values)
        for name, value in feeds.items():
            env[name] = [value]
        self._run_steps(sched, env, feeds, ctx, timings, shapes)
        if sched.dynamic:
            return run_frames(sched.start, sched.outputs, env, ctx, self.call, self._output, timings, shapes)
        return [self._output(env.get(name), name, index) for name, index in sched.outputs]

    def _run_steps(self, sched: _Schedule, env: dict[str, list[Any]], feeds: Mapping[str, np.ndarray],
                   ctx: ExecutionContext, timings: dict[str, float] | None,
                   shapes: dict[str, tuple[int, ...]] | None) -> None:
        """The schedule's fixed-order steps, each value dropped after its last reader."""
        clock = time.perf_counter
        call = self.call
        for step, free in zip(sched.steps, sched.free_after):
            name = step.node.name
            if name not in feeds:  # (a PlaceholderWithDefault given a value does not run)
                try:
                    args = [env[src][i] for src, i in step.inputs]
                except IndexError:
                    args = [self._read(env, step, ref) for ref in step.inputs]
                if timings is None:
                    env[name] = call(step, args, ctx)
                else:
                    t0 = clock()
                    env[name] = outs = call(step, args, ctx)
                    timings[name] = timings.get(name, 0.0) + clock() - t0
                    if shapes is not None:
                        shapes[name] = first_shape(outs)
            for gone in free:
                del env[gone]

    def _read(self, env: Mapping[str, list[Any]], step: Step, ref: Ref) -> Any:
        outs = env[ref[0]]
        if ref[1] >= len(outs):
            raise ModelExecutionError(step.node.name, step.node.op, "[]",
                                      IndexError(f"it reads output {ref[1]} of {quoted(ref[0])}, "
                                                 f"which has {len(outs)} outputs"))
        return outs[ref[1]]

    def _output(self, outs: list[Any] | None, name: str, index: int) -> np.ndarray:
        value = outs[index] if outs is not None and index < len(outs) else None
        if value is None:
            raise ModelExecutionError(name, self.nodes[name].op, "[]", ValueError(
                f"output {index} was not computed (a dead branch, or a loop that did not exit)"))
        return value

    # ------------------------------------------------------------------ profiling
    def profile(self, feeds: Mapping[str, np.ndarray], repeat: int) -> list[tuple[str, str, tuple[int, ...], float]]:
        """(node, op, first output's shape, median seconds) of every node run, in the order they ran.

        A node in a loop counts the sum of its iterations; folded constants take no time.
        """
        runs: list[dict[str, float]] = []
        shapes: dict[str, tuple[int, ...]] = {}
        for r in range(repeat + 1):  # the first run warms up and is not counted
            timings: dict[str, float] = {}
            self.run(feeds, timings=timings, shapes=shapes)
            if r:
                runs.append(timings)
        return [(n, self.nodes[n].op, shapes.get(n, ()), statistics.median(t.get(n, 0.0) for t in runs))
                for n in runs[0]]


# ---------------------------------------------------------------------------- functions
def function_program(raw: Mapping[str, Any], weights: Mapping[str, np.ndarray], library: Mapping[str, Any],
                     built: dict[str, GraphProgram | None] | None = None) -> GraphProgram:
    """A library FunctionDef as a program: its arguments are fed inputs, ``ret`` its outputs."""
    signature = raw.get("signature") or {}
    name = str(signature.get("name", "?"))
    where = f"function {quoted(name)}"
    args = [str(a.get("name")) for a in signature.get("inputArg", []) or []]
    nodes = parse_node_list(list(raw.get("nodeDef", []) or []), where, OUTPUT_ARGS)
    taken = {n.name for n in nodes}
    for arg, spec in zip(args, signature.get("inputArg", []) or []):
        if arg in taken:
            raise ModelFormatError(f"the {where} has an argument and a node both named {quoted(arg)}.")
        nodes.append(GraphNode(arg, "Placeholder", [], {"dtype": {"type": spec.get("type", "DT_FLOAT")}}))
    ret = raw.get("ret") or {}
    outputs = []
    for out in signature.get("outputArg", []) or []:
        text = ret.get(out.get("name"))
        if text is None:
            raise ModelFormatError(f"the {where} does not say what its output {quoted(out.get('name'))} returns.")
        ref = parse_node_list([{"name": "_ret", "op": "Identity", "input": [text]}] + [
            {"name": n.name, "op": n.op} for n in nodes], where, OUTPUT_ARGS)[0].inputs[0]
        outputs.append(split_input(ref))
    return GraphProgram(nodes, weights, args, outputs, library, where, built)
