"""A graph model's inputs and outputs as TF.js names and orders them (GraphModel.inputNodes / outputNodes).

The signature comes from ``userDefinedMetadata.signature`` when the converter put it there,
else from ``signature``. With one, inputs and outputs are its entries, in its order, named by
its keys; without one, inputs are the Placeholder nodes and outputs the nodes nothing reads,
both in the graph's node order.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from ...errors import ModelFormatError
from ..graph_def import GraphNode, split_input
from .params import attr


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One model input or output: its public ``name``, the node output it is and what it holds."""

    name: str
    node: str
    index: int
    dtype: str | None  # TF.js dtype, when the graph says
    shape: tuple[int | None, ...] | None  # None: unknown rank; None sizes are unknown


def model_signature(artifacts: Any) -> Mapping[str, Any] | None:
    meta = getattr(artifacts, "user_defined_metadata", None)
    if isinstance(meta, Mapping) and isinstance(meta.get("signature"), Mapping):
        return meta["signature"]
    sig = getattr(artifacts, "signature", None)
    return sig if isinstance(sig, Mapping) else None


def _entries(signature: Mapping[str, Any] | None, key: str, nodes: Mapping[str, GraphNode],
             ) -> list[tuple[str, Mapping[str, Any], str, int]]:
    """The signature's ``key`` entries naming a node of the graph: (key, info, node, output index)."""
    if not isinstance(signature, Mapping) or not isinstance(signature.get(key), Mapping):
        return []
    found = []
    for name, info in signature[key].items():
        if isinstance(info, Mapping):
            node, index = split_input(str(info.get("name", "")))
            if node in nodes:
                found.append((str(name), info, node, index))
    return found


def _sig_shape(info: Mapping[str, Any]) -> tuple[int | None, ...] | None:
    shape = info.get("tensorShape")
    if not isinstance(shape, Mapping) or shape.get("unknownRank"):
        return None
    return tuple(None if int(d.get("size", -1)) < 0 else int(d.get("size", -1)) for d in shape.get("dim", []))


def _node_spec(name: str, node: GraphNode, index: int) -> TensorSpec:
    from .op_table import Attr

    dtype = shape = None
    if node.op.startswith("Placeholder"):
        dtype = attr(node, Attr("dtype", "dtype", "dtype", None))
        raw = attr(node, Attr("shape", "shape", "shape", None))
        shape = None if raw is None else tuple(None if d < 0 else d for d in raw)
    return TensorSpec(name, node.name, index, dtype, shape)


def model_inputs(nodes: Sequence[GraphNode], signature: Mapping[str, Any] | None) -> list[TensorSpec]:
    by_name = {n.name: n for n in nodes}
    specs = []
    for key, info, node, index in _entries(signature, "inputs", by_name):
        spec = _node_spec(key, by_name[node], index)
        specs.append(spec if spec.shape is not None else dataclasses.replace(spec, shape=_sig_shape(info)))
    if not specs:
        specs = [_node_spec(n.name, n, 0) for n in nodes if n.op.startswith("Placeholder")]
    return specs


def model_outputs(nodes: Sequence[GraphNode], signature: Mapping[str, Any] | None) -> list[TensorSpec]:
    by_name = {n.name: n for n in nodes}
    specs = [TensorSpec(key, node, index, None, _sig_shape(info))
             for key, info, node, index in _entries(signature, "outputs", by_name)]
    if not specs:
        read = {split_input(r)[0] for n in nodes for r in n.inputs} | {c for n in nodes for c in n.control_inputs}
        specs = [TensorSpec(n.name, n.name, 0, None, None) for n in nodes if n.name not in read]
    if not specs:
        raise ModelFormatError("the graph has no output node.")
    return specs
