"""Run a TF.js graph model (GraphDef JSON from the TF.js converter) with numpy.

At build time: nodes are put in topological order, nodes whose inputs are all constants
are evaluated once, and a convolution's per-channel ``BiasAdd``/``Add``/``Sub``/``Mul``,
``FusedBatchNorm`` and ``Relu``/``Relu6`` are folded into its kernel and bias when the
convolution is their only input. Then a batch of one zero image is pushed through, so a
shape that does not fit is reported (naming the node) when the model is built.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError
from . import ops
from .fusion import FusedKernel, Readers, fold_followers
from .graph_def import (GraphNode, attr_value, check_data_format, conv_padding, hw_pair, parse_nodes,
                        signature_outputs, topological_order)
from .ops.activations import select_negative_scaled
from .plan import Plan, Step

F32 = np.float32


@dataclasses.dataclass
class GraphInfo:
    input_shape: tuple[int | None, ...]
    output_shape: tuple[int | None, ...]


# ---------------------------------------------------------------------------- element-wise ops
_FUSED_ACTIVATIONS = {"Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def _activation_fn(node: GraphNode, name: str, args: list[np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A fused activation that the convolution kernels do not run themselves."""
    if name == "linear":
        return lambda y: y
    if name == "Elu":
        return ops.ACTIVATIONS["elu"]
    if name == "LeakyRelu":
        alpha = F32(attr_value(node, "leakyrelu_alpha", 0.2))
        return lambda y: select_negative_scaled(y, alpha)
    if name == "Prelu":
        if not args:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) uses Prelu without its alpha argument.")
        alpha = args[0].astype(F32)
        return lambda y: select_negative_scaled(y, alpha)
    raise ModelFormatError(f"node '{node.name}' ({node.op}) fuses the activation '{name}', which is not supported.")


# ---------------------------------------------------------------------------- ops without compilation
# Each builder turns a node into a callable on all of its inputs, in order.
OpBuilder = Callable[[GraphNode], Callable[..., np.ndarray]]


def _fixed(fn: Callable[..., np.ndarray]) -> OpBuilder:
    """A builder for an op whose callable depends on no attribute."""
    return lambda node: fn


def _nhwc(fn: Callable[..., np.ndarray]) -> OpBuilder:
    """A builder for an op that only needs its data_format checked."""
    def build(node: GraphNode) -> Callable[..., np.ndarray]:
        check_data_format(node)
        return fn
    return build


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _softmax(x: np.ndarray) -> np.ndarray:
    """``ops.softmax`` on exactly one input (a second one must not be taken as its axis)."""
    return ops.softmax(x)


def _reshape(x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    return x.reshape(tuple(int(s) for s in np.ravel(shape)))


def _concat_v2(*xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs[:-1], axis=int(np.ravel(xs[-1])[0]))


def _pad(x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
    p = np.asarray(paddings, dtype=np.int64).reshape(-1, 2)
    return np.pad(x, [tuple(r) for r in p])


def _mean(node: GraphNode) -> Callable[..., np.ndarray]:
    keep = bool(attr_value(node, "keep_dims", False))
    return lambda x, axes: x.mean(axis=tuple(int(a) for a in np.ravel(axes)), keepdims=keep, dtype=F32)


def _squeeze(node: GraphNode) -> Callable[..., np.ndarray]:
    dims = tuple(attr_value(node, "squeeze_dims", None) or attr_value(node, "axis", None) or [])

    def squeeze(x):
        if not dims:
            return np.squeeze(x, axis=tuple(i for i in range(1, x.ndim) if x.shape[i] == 1))
        return np.squeeze(x, axis=dims)
    return squeeze


def _pool(node: GraphNode) -> Callable[..., np.ndarray]:
    check_data_format(node)
    pool, strides = hw_pair(node, "ksize"), hw_pair(node, "strides")
    padding = attr_value(node, "padding", "VALID")
    if padding not in ("SAME", "VALID"):
        raise ModelFormatError(f"node '{node.name}' ({node.op}) uses padding '{padding}', which is not supported.")
    mode = "avg" if node.op == "AvgPool" else "max"
    return lambda x: ops.pool2d(x, pool, strides, padding.lower(), mode)


def _batch_norm(node: GraphNode) -> Callable[..., np.ndarray]:
    check_data_format(node)
    eps = float(attr_value(node, "epsilon", 1e-3))
    return lambda x, s, o, m, v, *rest: ops.batch_norm(x, s, o, m, v, eps)


def _matmul(node: GraphNode) -> Callable[..., np.ndarray]:
    ta, tb = bool(attr_value(node, "transpose_a", False)), bool(attr_value(node, "transpose_b", False))
    return lambda a, b: ops.matmul(a, b, ta, tb)


def _computed_filter_conv(node: GraphNode) -> Callable[..., np.ndarray]:
    """A convolution whose filter is computed, not constant: the kernel is built on every call."""
    check_data_format(node)
    strides, dil, padding = hw_pair(node, "strides"), hw_pair(node, "dilations"), conv_padding(node)
    kind = ops.Conv2D if node.op == "Conv2D" else ops.DepthwiseConv2D
    return lambda x, k: kind(k, None, strides, padding, dil)(x)


_SIMPLE_OPS: dict[str, OpBuilder] = {
    "Identity": _fixed(_identity), "StopGradient": _fixed(_identity),
    "Add": _fixed(np.add), "AddV2": _fixed(np.add), "Sub": _fixed(np.subtract), "Mul": _fixed(np.multiply),
    "RealDiv": _fixed(np.divide), "BiasAdd": _nhwc(np.add),
    "Relu": _fixed(ops.relu), "Relu6": _fixed(ops.relu6), "Sigmoid": _fixed(ops.sigmoid), "Tanh": _fixed(ops.tanh),
    "Softmax": _fixed(_softmax), "Mean": _mean, "Squeeze": _squeeze, "Reshape": _fixed(_reshape),
    "ConcatV2": _fixed(_concat_v2), "Pad": _fixed(_pad), "AvgPool": _pool, "MaxPool": _pool,
    "FusedBatchNorm": _batch_norm, "FusedBatchNormV3": _batch_norm, "MatMul": _matmul,
    "Conv2D": _computed_filter_conv, "DepthwiseConv2dNative": _computed_filter_conv,
}


def _simple_op(node: GraphNode) -> Callable[..., np.ndarray]:
    """A callable on all of the node's inputs, in order, for the ops that need no compilation."""
    build = _SIMPLE_OPS.get(node.op)
    if build is None:
        raise ModelFormatError(f"node '{node.name}' uses the op '{node.op}', which is not supported.")
    return build(node)


# ops that fold into a convolution or dense kernel when their filter / weight is constant
_FUSED_KERNEL_OPS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"}
_DEPTHWISE_OPS = {"DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"}
_MATMUL_OPS = {"MatMul", "_FusedMatMul"}
_KERNEL_OPS = {"Conv2D", "DepthwiseConv2dNative", "MatMul"} | _FUSED_KERNEL_OPS
_BATCH_NORM_OPS = {"FusedBatchNorm", "FusedBatchNormV3"}

SUPPORTED_OPS = set(_SIMPLE_OPS) | _FUSED_KERNEL_OPS | {"Placeholder", "Const", "NoOp"}


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
            if node.op in _KERNEL_OPS and len(vals) > 1 and vals[1] is not None and vals[0] is None:
                absorbed |= self._conv(node, vals)
                continue
            self._generic(node, vals)
        for out in self.outputs:
            if out in self.consts:
                value = self.consts[out]
                self.steps.append(Step(out, [self.input.name],
                                       lambda x, v=value: np.broadcast_to(v, v.shape).copy(), "Const"))
        plan = Plan(self.input.name, self.steps, self.outputs)
        out_shape = self._dry_run(plan, input_shape)
        return plan, GraphInfo(input_shape, out_shape)

    def _dry_run(self, plan: Plan, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        if any(d is None for d in input_shape[1:]) or not input_shape:
            return (None,)
        x = np.zeros((1, *input_shape[1:]), F32)
        out = plan.run(x)[0]
        return (None, *out.shape[1:])

    def _fold_constant(self, node: GraphNode, vals: list[np.ndarray]) -> np.ndarray:
        fn = self._callable(node)
        try:
            return np.asarray(fn(*vals))
        except (ValueError, IndexError, TypeError) as exc:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) cannot combine its constant inputs: {exc}") from None

    @staticmethod
    def _callable(node: GraphNode) -> Callable[..., np.ndarray]:
        if node.op in _FUSED_KERNEL_OPS:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) needs a constant filter and a computed input.")
        return _simple_op(node)

    def _generic(self, node: GraphNode, vals: list[np.ndarray | None]) -> None:
        fn = self._callable(node)
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
        """Apply a grappler-fused op's ``fused_ops`` (bias, activation) to ``fused``.

        Returns the activation to run after the kernel when the kernel cannot run it itself.
        """
        names = attr_value(node, "fused_ops", []) or []
        extra = names[0] if names else ""
        act = names[1] if len(names) > 1 else ""
        args = list(vals[2:])
        if any(a is None for a in args):
            raise ModelFormatError(f"node '{node.name}' ({node.op}) has a computed bias; only constants are supported.")
        if extra == "BiasAdd":
            fused.bias = _channel_vector(args[0], fused.channels, node)
            args = args[1:]
        elif extra in _BATCH_NORM_OPS:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) fuses FusedBatchNorm, "
                                   "which TensorFlow.js does not support either.")
        elif extra:
            act = extra
        if act in _FUSED_ACTIVATIONS:
            fused.activation = _FUSED_ACTIVATIONS[act]
            return None
        return _activation_fn(node, act, args) if act else None

    def _fold_follower(self, fused: FusedKernel, follower: str) -> bool:
        """Fold one node reading the kernel's output into it, if it is a per-channel affine op or Relu."""
        nxt = self.by_name[follower]
        if nxt.op in ("BiasAdd", "Add", "AddV2", "Sub", "Mul"):
            return self._fold_affine(fused, nxt)
        if nxt.op in _BATCH_NORM_OPS:
            return self._fold_batch_norm(fused, nxt)
        if nxt.op in ("Relu", "Relu6"):
            fused.fuse_activation(nxt.name, _FUSED_ACTIVATIONS[nxt.op])
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
    """Whether the preplanned executor runs this graph: one float32 image-like input of static
    shape (but the batch), only its ops, first outputs only, no function library."""
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
