"""Turn a node's input arrays and raw attributes into named values, by its op's table entry.

The converter writes attributes as typed JSON (``{"i": "2"}``, ``{"list": {"f": [...]}}``,
``{"type": "DT_INT32"}``); executors get plain Python values. Numbers read from input tensors
follow TF.js's ``getParamValue``: the first element for ``number`` / ``bool``, all of them for
``numbers``.
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ...errors import ModelFormatError, quoted
from ..graph_def import GraphNode
from .op_table import REQUIRED, Attr, In, OpDef
from .registry import Params
from .tfjs_dtypes import from_tf_dtype, unsupported_dtype

def resolve(node: GraphNode, op: OpDef, inputs: Sequence[Any], attrs: Mapping[str, Any] | None = None) -> Params:
    """The named parameters of ``node`` given its input values in order.

    ``attrs``: the node's attributes already resolved by :func:`resolve_attrs` (they do not
    change between runs, so the executor core reads them once).
    """
    values: dict[str, Any] = {}
    for spec in op.inputs:
        values[spec.name] = _input(node, spec, inputs)
    values.update(resolve_attrs(node, op) if attrs is None else attrs)
    return Params(node, values)


def binder(node: GraphNode, op: OpDef, attrs: Mapping[str, Any],
           constants: Mapping[int, Any] | None = None) -> Callable[[Sequence[Any]], Params]:
    """``resolve`` for one node, prepared once: inputs are taken by position without going
    through the specs on every run, and numbers read from constant inputs (``constants``: input
    position -> value, known when the graph is built) are read once, here."""
    n = len(node.inputs)
    constants = constants or {}
    slots: list[tuple[str, int]] = []
    runs: list[tuple[str, int, int | None]] = []
    computed: list[In] = []
    fixed: dict[str, Any] = {}
    for spec in op.inputs:
        if spec.kind == "tensors":
            runs.append((spec.name, spec.start, spec.end))
            continue
        start = spec.start if spec.start >= 0 else spec.start + n
        if not 0 <= start < n:  # an input left out: its default, or the error, as resolve has them
            return lambda inputs: resolve(node, op, inputs, attrs)
        if spec.kind == "tensor":
            slots.append((spec.name, start))
        elif start in constants:
            try:
                fixed[spec.name] = _input(node, spec, [constants.get(k) for k in range(n)])
            except (ValueError, TypeError, IndexError):
                computed.append(spec)  # bad: it fails when the node runs, as a node's error
        else:
            computed.append(spec)
    fixed_items = tuple(fixed.items())

    def bind(inputs: Sequence[Any]) -> Params:
        if len(inputs) != n:
            return resolve(node, op, inputs, attrs)
        values = {name: inputs[i] for name, i in slots}
        for name, start, end in runs:
            values[name] = list(inputs[start:end])
        for spec in computed:
            values[spec.name] = _input(node, spec, inputs)
        for name, value in fixed_items:
            values[name] = list(value) if type(value) is list else value  # an executor may change its list
        values.update(attrs)
        return Params(node, values)

    return bind


def resolve_attrs(node: GraphNode, op: OpDef) -> dict[str, Any]:
    """The node's attributes as named plain values (a missing required one is a ModelFormatError)."""
    return {spec.name: attr(node, spec) for spec in op.attrs}


def _input(node: GraphNode, spec: In, inputs: Sequence[Any]) -> Any:
    if spec.kind == "tensors":
        return list(inputs[spec.start:spec.end])
    if spec.start >= len(inputs) or spec.start < -len(inputs):
        if spec.default is REQUIRED:
            raise ModelFormatError(f"node {quoted(node.name)} ({node.op}) has {len(inputs)} inputs; "
                                   f"its input '{spec.name}' is missing.")
        return spec.default
    value = inputs[spec.start]
    if spec.kind == "tensor":
        return value
    flat = np.ravel(np.asarray(value))
    if spec.kind == "numbers":
        return [_scalar(v) for v in flat]
    if flat.size == 0:
        raise ValueError(f"input '{spec.name}' is empty; a {spec.kind} is needed")
    if spec.kind == "bool":
        return bool(flat[0])
    return _scalar(flat[0])


def _scalar(v: Any) -> int | float | bool:
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return float(v)


def attr(node: GraphNode, spec: Attr) -> Any:
    """One attribute as a plain value (``spec.tf_name`` may list alternatives as 'a|b')."""
    raw = None
    for name in spec.tf_name.split("|"):
        raw = node.attr.get(name)
        if raw is not None:
            break
    if raw is None:
        if spec.default is REQUIRED:
            raise ModelFormatError(f"node {quoted(node.name)} ({node.op}) has no attribute '{spec.tf_name}'.")
        return spec.default
    try:
        return _parse(raw, spec)
    except UnsupportedDtype as exc:
        raise ModelFormatError(f"node {quoted(node.name)} ({node.op}) {unsupported_dtype(exc.args[0])} "
                               f"(attribute '{spec.tf_name}').") from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ModelFormatError(f"node {quoted(node.name)} ({node.op}) has an invalid attribute "
                               f"'{spec.tf_name}'.") from None


def _parse(raw: Mapping[str, Any], spec: Attr) -> Any:
    kind = spec.kind
    if kind == "number":
        return int(raw["i"]) if "i" in raw else float(raw["f"])
    if kind == "bool":
        return bool(raw["b"])
    if kind == "string":
        return _text(raw["s"])
    if kind == "dtype":
        return _dtype(raw["type"])
    if kind == "shape":
        shape = raw.get("shape") or {}
        if shape.get("unknownRank"):
            return None
        return [int(d.get("size", -1)) for d in shape.get("dim", [])]
    if kind == "func":
        return str((raw.get("func") or {})["name"])
    lst = raw.get("list") or {}
    if kind == "numbers":
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        return [float(v) for v in lst.get("f", [])]
    if kind == "strings":
        return [_text(v) for v in lst.get("s", [])]
    if kind == "dtypes":
        return [_dtype(v) for v in lst.get("type", [])]
    raise ValueError(f"unknown attribute kind {kind}")


def _text(value: Any) -> str:
    return base64.b64decode(str(value), validate=True).decode("utf-8")


class UnsupportedDtype(ValueError):
    """A DataType that TF.js maps to null (its args: the raw value)."""


def _dtype(value: Any) -> str:
    dtype = from_tf_dtype(value)
    if dtype is None:
        raise UnsupportedDtype(value)
    return dtype
