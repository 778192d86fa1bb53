"""Run a TF.js graph model (GraphDef JSON from the TF.js converter) with numpy.

At build time: nodes are put in topological order, nodes whose inputs are all constants
are evaluated once, and a convolution's per-channel ``BiasAdd``/``Add``/``Sub``/``Mul``,
``FusedBatchNorm`` and ``Relu``/``Relu6`` are folded into its kernel and bias when the
convolution is their only input; a fused op's ``fused_ops`` is read by the graph runtime's
``parse_fused_ops``. Every other node runs through the graph runtime's own executor, so the
two runtimes compute the same thing one way. Then a batch of one zero image is pushed
through, so a shape that does not fit is reported (naming the node) when the model is built.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError
from .batch_axis import batch_axis_problem
from .fusion import FusedKernel, Readers, fold_followers
from .graph.executors import ALL_EXECUTORS
from .graph.fused_ops import KERNEL_ACTIVATIONS, parse_fused_ops
from .graph.op_table import op_table
from .graph.params import binder, resolve_attrs
from .graph.registry import ExecutionContext
from .graph.step import tfjs_array
from .graph_def import (GraphNode, attr_value, check_data_format, conv_padding, hw_pair, parse_nodes,
                        signature_outputs, topological_order)
from .plan import Plan, Step

F32 = np.float32


@dataclasses.dataclass
class GraphInfo:
    input_shape: tuple[int | None, ...]
    output_shape: tuple[int | None, ...]
    #: why a batch may not run in chunks joined on axis 0 (see batch_axis), or None
    batch_problem: str | None = None


# ---------------------------------------------------------------------------- ops without compilation
#: standalone activations a kernel op absorbs when it is their only input
_FOLDED_ACTIVATIONS = {"Relu": "relu", "Relu6": "relu6"}

#: ops run through the graph runtime's executor (one implementation for both paths)
_EXECUTOR_OPS = frozenset({
    "Identity", "StopGradient", "Add", "AddV2", "Sub", "Mul", "RealDiv", "BiasAdd",
    "Relu", "Relu6", "Sigmoid", "Tanh", "Softmax", "Mean", "Squeeze", "Reshape", "ConcatV2", "Pad",
    "AvgPool", "MaxPool", "FusedBatchNorm", "FusedBatchNormV3", "MatMul", "Conv2D", "DepthwiseConv2dNative",
})


def _executor_op(node: GraphNode, constants: Mapping[int, np.ndarray], ctx: ExecutionContext
                 ) -> Callable[..., np.ndarray]:
    """The graph runtime's executor for ``node``, as a callable on all of its inputs in order;
    numbers it reads from constant inputs (``constants``: position -> value) are read once."""
    opdef = op_table()[node.op]
    attrs = resolve_attrs(node, opdef)
    bind = binder(node, opdef, attrs, constants)
    fn = ALL_EXECUTORS[node.op]

    def call(*inputs: np.ndarray) -> np.ndarray:
        return tfjs_array(fn(bind(inputs), ctx))
    return call


# ops that fold into a convolution or dense kernel when their filter / weight is constant
_FUSED_KERNEL_OPS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"}
_DEPTHWISE_OPS = {"DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"}
_MATMUL_OPS = {"MatMul", "_FusedMatMul"}
_KERNEL_OPS = {"Conv2D", "DepthwiseConv2dNative", "MatMul"} | _FUSED_KERNEL_OPS
_BATCH_NORM_OPS = {"FusedBatchNorm", "FusedBatchNormV3"}

SUPPORTED_OPS = set(_EXECUTOR_OPS) | _FUSED_KERNEL_OPS | {"Placeholder", "Const", "NoOp"}


# ---------------------------------------------------------------------------- building
class _GraphBuilder:
    def __init__(self, topology: Mapping[str, Any], weights: Mapping[str, np.ndarray], keep: set[str],
                 outputs: Sequence[str] | None, signature: Mapping[str, Any] | None):
        self.nodes = parse_nodes(topology)
        self.by_name = {n.name: n for n in self.nodes}
        self.weights = weights
        for node in self.nodes:
            if node.op not in SUPPORTED_OPS:
                raise ModelFormatError(f"node '{node.name}' uses the op '{node.op}', which is not supported.")
            for src in node.inputs:
                if src not in self.by_name:
                    raise ModelFormatError(f"node '{node.name}' reads '{src}', which is not a node of the graph.")
        placeholders = [n for n in self.nodes if n.op == "Placeholder"]
        if len(placeholders) != 1:
            raise ModelFormatError(f"the graph has {len(placeholders)} Placeholder inputs; exactly one is supported.")
        self.input = placeholders[0]
        if outputs is None:
            read = {src for node in self.nodes for src in node.inputs}
            outputs = signature_outputs(signature, self.by_name) or [
                n.name for n in self.nodes if n.name not in read and n.op not in ("Const", "Placeholder", "NoOp")]
        for out in outputs:
            if out not in self.by_name:
                raise ModelFormatError(f"the graph has no node named '{out}'.")
        if not outputs:
            raise ModelFormatError("the graph has no output node.")
        self.outputs = list(outputs)
        self.readers = Readers(((node.name, node.inputs) for node in self.nodes), set(keep) | set(self.outputs))
        self.consts: dict[str, np.ndarray] = {}
        self.steps: list[Step] = []
        self.step_of: dict[str, str] = {}  # node folded into a kernel -> the step that computes it
        self.ctx = ExecutionContext()  # the executors' per-node state (a computed-filter conv's kernel)

    def order(self) -> list[GraphNode]:
        names = topological_order(self.outputs, lambda name: self.by_name[name].inputs)
        return [self.by_name[name] for name in names]

    def const(self, node: GraphNode) -> np.ndarray:
        value = self.weights.get(node.name)
        if value is None:
            raise ModelFormatError(f"Const node '{node.name}' has no value in the weights manifest.")
        return np.asarray(value)

    def build(self) -> tuple[Plan, GraphInfo]:
        shape = attr_value(self.input, "shape")
        if shape is None:
            raise ModelFormatError(f"the input '{self.input.name}' has no shape.")
        input_shape = tuple(None if d < 0 else d for d in shape)
        ordered = self.order()
        # constants first, so folding a conv's bias can see constants computed later in the order
        for node in ordered:
            if node.op == "Const":
                self.consts[node.name] = self.const(node)
            elif node.inputs and node.op != "Placeholder":
                vals = [self.consts.get(src) for src in node.inputs]
                if all(v is not None for v in vals):
                    self.consts[node.name] = self._fold_constant(node, vals)
        absorbed: set[str] = set()
        for node in ordered:
            if node.name in absorbed or node.name in self.consts or node.op in ("Placeholder", "NoOp"):
                continue
            vals = [self.consts.get(src) for src in node.inputs]
            if node.op in _KERNEL_OPS and len(vals) > 1 and vals[0] is None and all(v is not None for v in vals[1:]):
                absorbed |= self._conv(node, vals)
                continue
            self._generic(node, vals)
        for out in self.outputs:
            if out in self.consts:
                value = self.consts[out]
                self.steps.append(Step(out, [self.input.name],
                                       lambda x, v=value: np.broadcast_to(v, v.shape).copy(), "Const"))
        plan = Plan(self.input.name, self.steps, self.outputs)
        if any(d is None for d in input_shape[1:]) or not input_shape:
            return plan, GraphInfo(input_shape, (None,), "the input's shape is not known")
        # one batch (of the input's fixed size, else one image) run through: a shape that does
        # not fit is reported here, and every node's shape is known for the batch-axis check
        x = np.zeros((input_shape[0] or 1, *input_shape[1:]), F32)
        out = plan.run(x)[0]
        if input_shape[0] == 1:  # a batch of one only: never run in chunks
            return plan, GraphInfo(input_shape, out.shape)
        shapes = {self.input.name: x.shape} | plan.step_shapes
        shapes |= {name: shapes[step] for name, step in self.step_of.items()}
        problem = batch_axis_problem(ordered, self.input.name, self.consts, shapes, self.outputs)
        return plan, GraphInfo(input_shape, (input_shape[0], *out.shape[1:]), problem)

    def _fold_constant(self, node: GraphNode, vals: list[np.ndarray]) -> np.ndarray:
        fn = _executor_op(node, dict(enumerate(vals)), self.ctx)
        try:
            return np.asarray(fn(*vals))
        except (ValueError, IndexError, TypeError) as exc:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) cannot combine its constant inputs: {exc}") from None

    def _generic(self, node: GraphNode, vals: list[np.ndarray | None]) -> None:
        fn = _executor_op(node, {i: v for i, v in enumerate(vals) if v is not None}, self.ctx)
        dyn = [src for src, v in zip(node.inputs, vals) if v is None]
        if all(v is None for v in vals):
            call = fn
        else:
            slots = list(vals)

            def call(*arrays, fn=fn, slots=slots):
                it = iter(arrays)
                return fn(*[next(it) if s is None else s for s in slots])
        self.steps.append(Step(node.name, dyn, call, node.op))

    # ---- convolutions with their bias, scale, batch norm and activation folded in
    def _conv(self, node: GraphNode, vals: list[np.ndarray | None]) -> set[str]:
        """Emit a kernel op with a constant filter and its followers folded in; returns the folded names."""
        if node.op in _MATMUL_OPS and attr_value(node, "transpose_a", False):
            self._generic(node, vals)
            return set()
        fused = FusedKernel(self._kernel(node, vals[1]), None, node.op in _DEPTHWISE_OPS, node.name)
        post = self._fused_ops(node, vals, fused) if node.op in _FUSED_KERNEL_OPS else None
        if post is None:
            fold_followers(fused, self.readers, self._fold_follower)
        fn = self._kernel_fn(node, fused)
        if post is not None:
            inner = fn
            fn = lambda x: post(inner(x))
        self.steps.append(Step(fused.output, [node.inputs[0]], fn, node.op))
        for name in fused.absorbed | {node.name}:
            self.step_of[name] = fused.output
        return fused.absorbed

    @staticmethod
    def _kernel(node: GraphNode, value: np.ndarray) -> np.ndarray:
        """The constant filter (4-D) or weight (2-D, as (in, out)) of a kernel op."""
        kernel = value.astype(F32)
        if node.op in _MATMUL_OPS:
            if attr_value(node, "transpose_b", False):
                kernel = kernel.T
            if kernel.ndim != 2:
                raise ModelFormatError(f"node '{node.name}' ({node.op}) has a {kernel.ndim}-D weight; MatMul needs 2-D.")
        else:
            check_data_format(node)
            if kernel.ndim != 4:
                raise ModelFormatError(f"node '{node.name}' ({node.op}) has a filter of shape {list(kernel.shape)}; "
                                       "a 4-D filter is needed.")
        return kernel

    @staticmethod
    def _fused_ops(node: GraphNode, vals: list[np.ndarray | None],
                   fused: FusedKernel) -> Callable[[np.ndarray], np.ndarray] | None:
        """Apply a grappler-fused op's ``fused_ops`` (bias, activation) to ``fused``, read as the
        graph executors read it (:func:`parse_fused_ops`).

        Returns the activation to run after the kernel when the kernel cannot run it itself.
        """
        args = list(vals[2:])
        try:
            fo = parse_fused_ops(attr_value(node, "fused_ops", []) or [], int(attr_value(node, "num_args", 0)),
                                 len(args), float(attr_value(node, "leakyrelu_alpha", 0.2)),
                                 matmul=node.op in _MATMUL_OPS)
        except ValueError as exc:
            raise ModelFormatError(f"node '{node.name}' ({node.op}): {exc}.") from None
        bias = fo.bias(args)
        if bias is not None:
            fused.bias = _channel_vector(bias, fused.channels, node)
        if fo.activation in KERNEL_ACTIVATIONS:
            fused.activation = fo.activation
            return None
        return lambda y: fo.activate(y, args)

    def _fold_follower(self, fused: FusedKernel, follower: str) -> bool:
        """Fold one node reading the kernel's output into it, if it is a per-channel affine op or Relu."""
        nxt = self.by_name[follower]
        if nxt.op in ("BiasAdd", "Add", "AddV2", "Sub", "Mul"):
            return self._fold_affine(fused, nxt)
        if nxt.op in _BATCH_NORM_OPS:
            return self._fold_batch_norm(fused, nxt)
        if nxt.op in _FOLDED_ACTIVATIONS:
            fused.fuse_activation(nxt.name, _FOLDED_ACTIVATIONS[nxt.op])
            return True
        return False

    def _fold_affine(self, fused: FusedKernel, nxt: GraphNode) -> bool:
        out = fused.output
        if len(nxt.inputs) != 2 or nxt.inputs.count(out) != 1:
            return False
        if nxt.op == "Sub" and nxt.inputs[1] == out:  # c - y is not a shift of y
            return False
        other = nxt.inputs[1] if nxt.inputs[0] == out else nxt.inputs[0]
        c = self.consts.get(other)
        if c is not None and np.ndim(c) > fused.kernel.ndim:  # it would add axes before the batch
            return False
        c = None if c is None else _maybe_channel_vector(c, fused.channels)
        if c is None:
            return False
        if nxt.op == "Mul":
            fused.fold_scale(nxt.name, c)
        else:
            fused.fold_shift(nxt.name, c, subtract=nxt.op == "Sub")
        return True

    def _fold_batch_norm(self, fused: FusedKernel, nxt: GraphNode) -> bool:
        params = [self.consts.get(s) for s in nxt.inputs[1:5]]
        if nxt.inputs[0] != fused.output or len(params) != 4 or any(p is None for p in params):
            return False
        gamma, beta, mean, var = [_channel_vector(p, fused.channels, nxt) for p in params]
        fused.fold_batch_norm(nxt.name, gamma, beta, mean, var, float(attr_value(nxt, "epsilon", 1e-3)))
        return True

    @staticmethod
    def _kernel_fn(node: GraphNode, fused: FusedKernel) -> Callable[[np.ndarray], np.ndarray]:
        if node.op in _MATMUL_OPS:
            return fused.kernel_fn()
        strides, dil, padding = hw_pair(node, "strides"), hw_pair(node, "dilations"), conv_padding(node)
        return fused.kernel_fn(strides, padding, dil)


def _maybe_channel_vector(value: np.ndarray, channels: int) -> np.ndarray | None:
    """``value`` as a per-channel vector if it broadcasts only along the last axis, else None."""
    v = np.asarray(value)
    if v.dtype.kind != "f":
        return None
    if v.size == 1:
        return np.full(channels, v.reshape(()), dtype=F32)
    if v.shape[-1] == channels and v.size == channels:
        return v.reshape(channels).astype(F32)
    return None


def _channel_vector(value: np.ndarray, channels: int, node: GraphNode) -> np.ndarray:
    v = _maybe_channel_vector(value, channels)
    if v is None:
        raise ModelFormatError(f"node '{node.name}' ({node.op}) has a per-channel constant of shape "
                               f"{list(np.shape(value))}, but the convolution has {channels} channels.")
    return v


def plan_covers(topology: Mapping[str, Any], nodes: Sequence[GraphNode], inputs: Sequence[Any],
                outputs: Sequence[Any]) -> bool:
    """Whether the preplanned executor can run this graph: one float32 image-like input of static
    shape (but the batch), only its ops, first outputs only, no function library.

    Whether its ops keep the batch on axis 0 (so a batch may run in chunks) needs the constants
    and shapes, so the built plan says it: :attr:`GraphInfo.batch_problem`.
    """
    if (topology.get("library") or {}).get("function"):
        return False
    if len(inputs) != 1 or inputs[0].dtype not in (None, "float32") or inputs[0].index != 0:
        return False
    shape = inputs[0].shape
    if not shape or any(d is None for d in shape[1:]):
        return False
    placeholders = [n for n in nodes if n.op.startswith("Placeholder")]
    if len(placeholders) != 1 or placeholders[0].op != "Placeholder" or placeholders[0].name != inputs[0].node:
        return False
    if any(o.index != 0 or o.node == inputs[0].node for o in outputs):
        return False
    for node in nodes:
        if node.op not in SUPPORTED_OPS or node.op == "NoOp" and any(o.node == node.name for o in outputs):
            return False
        if any(":" in ref for ref in node.inputs):
            return False
    return True


def build_graph_plan(topology: Mapping[str, Any], weights: Mapping[str, np.ndarray], *,
                     outputs: Sequence[str] | None = None, signature: Mapping[str, Any] | None = None,
                     ) -> tuple[Plan, GraphInfo]:
    """Compile a GraphDef; ``outputs`` names nodes to return (kept unfused)."""
    builder = _GraphBuilder(topology, weights, set(outputs or ()), outputs, signature)
    return builder.build()
