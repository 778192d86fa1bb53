"""A TF.js graph model's GraphDef JSON: its nodes and their attributes as plain Python values.

The converter writes each attribute as a typed JSON object (``{"i": "2"}``, ``{"s": base64}``,
``{"list": {"i": [...]}}``); here they become ints, strings and lists, and anything
malformed raises :class:`ModelFormatError` naming the node.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..errors import ModelFormatError, quoted


@dataclasses.dataclass
class GraphNode:
    """One node: its op, the outputs it reads and its raw attributes.

    ``inputs`` name outputs as ``node`` (its first output) or ``node:i`` (output i);
    ``control_inputs`` name nodes that must run first (``^node`` in the GraphDef), no data.
    """

    name: str
    op: str
    inputs: list[str]
    attr: dict[str, Any]
    control_inputs: list[str] = dataclasses.field(default_factory=list)


def split_input(ref: str) -> tuple[str, int]:
    """``'node:2'`` -> ``('node', 2)``; ``'node'`` -> ``('node', 0)``."""
    base, sep, index = ref.rpartition(":")
    if sep and index.isdigit():
        return base, int(index)
    return ref, 0


def input_ref(name: str, index: int) -> str:
    """The input string of output ``index`` of node ``name`` (``name`` alone for the first)."""
    return name if index == 0 else f"{name}:{index}"


def attr_value(node: GraphNode, key: str, default: Any = None) -> Any:
    """An attribute's plain value: str for ``s``, int for ``i``, lists for ``list``."""
    value = node.attr.get(key)
    if value is None:
        return default
    if not isinstance(value, Mapping):
        raise ModelFormatError(f"node '{node.name}' has an invalid attribute '{key}'.")
    if "s" in value:
        return _b64(value["s"], node, key)
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "type" in value:
        return str(value["type"])
    if "list" in value:
        lst = value["list"] or {}
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "s" in lst:
            return [_b64(v, node, key) for v in lst["s"]]
        if "f" in lst:
            return [float(v) for v in lst["f"]]
        return []
    if "shape" in value:
        shape = value["shape"] or {}
        if shape.get("unknownRank"):
            return None
        return [int(d.get("size", -1)) for d in shape.get("dim", [])]
    return default


def _b64(text: Any, node: GraphNode, key: str) -> str:
    try:
        return base64.b64decode(str(text), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ModelFormatError(f"node '{node.name}' attribute '{key}' is not valid base64 text.") from None


def check_data_format(node: GraphNode) -> None:
    """Refuse a node that is not NHWC, the only layout the executor runs."""
    fmt = attr_value(node, "data_format", "NHWC")
    if fmt not in ("NHWC", None, ""):
        raise ModelFormatError(f"node '{node.name}' ({node.op}) uses data_format '{fmt}'; only NHWC is supported.")


def hw_pair(node: GraphNode, key: str, default: int = 1) -> tuple[int, int]:
    """(height, width) of a strides / dilations / ksize attribute given for NHWC or for H, W."""
    values = attr_value(node, key)
    if values is None:
        return default, default
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) has {key} {values} over batch or channels.")
        return values[1], values[2]
    if len(values) == 2:
        return values[0], values[1]
    raise ModelFormatError(f"node '{node.name}' ({node.op}) has an invalid '{key}' {values}.")


def conv_padding(node: GraphNode) -> str | list[tuple[int, int]]:
    """'same', 'valid', or explicit ((top, bottom), (left, right)) padding."""
    padding = attr_value(node, "padding", "VALID")
    if padding == "SAME":
        return "same"
    if padding == "VALID":
        return "valid"
    if padding == "EXPLICIT":
        p = attr_value(node, "explicit_paddings", [])
        if len(p) != 8:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) has EXPLICIT padding without 8 explicit_paddings.")
        return [(p[2], p[3]), (p[4], p[5])]
    raise ModelFormatError(f"node '{node.name}' ({node.op}) uses padding '{padding}', which is not supported.")


def parse_nodes(topology: Mapping[str, Any]) -> list[GraphNode]:
    """The nodes of ``modelTopology``, repeated nodes kept once.

    Inputs keep their output index (``name:1``); control dependencies (``^name``) go to
    ``control_inputs``.
    """
    raw_nodes = topology.get("node") if isinstance(topology, Mapping) else None
    if not isinstance(raw_nodes, list):
        raise ModelFormatError("the graph model's 'modelTopology' has no 'node' list.")
    return parse_node_list(raw_nodes, "graph")


def parse_node_list(raw_nodes: Any, where: str, output_args: Mapping[str, Sequence[str]] | None = None,
                    ) -> list[GraphNode]:
    """Nodes of a graph or of a function body (``where`` names it in errors).

    Function bodies name outputs as ``node:output_arg:i``; ``output_args`` gives each op's
    output argument names so that the argument becomes the output's index (as TF.js does).
    """
    if not isinstance(raw_nodes, list):
        raise ModelFormatError(f"the {where} has no node list.")
    nodes = []
    seen: set[str] = set()
    ops_by_name = {raw.get("name"): raw.get("op") for raw in raw_nodes if isinstance(raw, Mapping)}
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("op"), str):
            raise ModelFormatError(f"node #{i} of the {where} has no 'name' or 'op'.")
        name = raw["name"]
        if name in seen:  # the converter sometimes repeats a node (e.g. the Placeholder): keep the first
            continue
        seen.add(name)
        inputs, control = [], []
        raw_inputs = raw.get("input", []) or []
        if not isinstance(raw_inputs, list):
            raise ModelFormatError(f"node {quoted(name)} of the {where} has an invalid 'input' list.")
        for inp in raw_inputs:
            inp = str(inp)
            if inp.startswith("^"):
                control.append(inp[1:])
                continue
            inputs.append(_input_ref(inp, name, ops_by_name, output_args))
        nodes.append(GraphNode(name, raw["op"], inputs, dict(raw.get("attr") or {}), control))
    return nodes


def _input_ref(text: str, node: str, ops_by_name: Mapping[Any, Any],
               output_args: Mapping[str, Sequence[str]] | None) -> str:
    parts = text.split(":")
    if len(parts) == 1:
        return text
    if len(parts) == 3:  # function body: node:output_arg:index
        src, arg, index = parts
        if not index.isdigit():
            raise ModelFormatError(f"node {quoted(node)} reads {quoted(text)}, which is not 'node:output:index'.")
        args = (output_args or {}).get(str(ops_by_name.get(src)), ())
        return input_ref(src, args.index(arg) if arg in args else int(index))
    src, index = parts[0], parts[-1]
    if len(parts) != 2 or not index.isdigit():
        raise ModelFormatError(f"node {quoted(node)} reads {quoted(text)}, which is not 'node:index'.")
    return input_ref(src, int(index))


def topological_order(roots: Iterable[str], sources: Callable[[str], Iterable[str]], where: str = "graph",
                      ) -> list[str]:
    """Every name reachable from ``roots`` through ``sources``, each after its sources (depth first)."""
    ordered: list[str] = []
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done
    for root in roots:
        stack = [(root, False)]
        while stack:
            name, done = stack.pop()
            if done:
                state[name] = 2
                ordered.append(name)
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ModelFormatError(f"the {where} has a cycle through node {quoted(name)}.")
            state[name] = 1
            stack.append((name, True))
            for src in reversed(list(sources(name))):
                if state.get(src) == 1:
                    raise ModelFormatError(f"the {where} has a cycle through node {quoted(src)}.")
                if state.get(src) != 2:
                    stack.append((src, False))
    return ordered


def signature_outputs(signature: Mapping[str, Any] | None, nodes: Mapping[str, GraphNode]) -> list[str]:
    """The output node names the model's signature declares (empty when it declares none)."""
    if not isinstance(signature, Mapping) or not isinstance(signature.get("outputs"), Mapping):
        return []
    names = []
    for spec in signature["outputs"].values():
        name = str((spec or {}).get("name", "")).split(":")[0]
        if name in nodes:
            names.append(name)
    return names
