"""A TF.js graph model's GraphDef JSON: its nodes and their attributes as plain Python values.

The converter writes each attribute as a typed JSON object (``{"i": "2"}``, ``{"s": base64}``,
``{"list": {"i": [...]}}``); here they become ints, strings and lists, and anything
malformed raises :class:`ModelFormatError` naming the node.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Mapping

from ..errors import ModelFormatError


@dataclasses.dataclass
class GraphNode:
    """One node: its op, the names of the nodes it reads (first outputs only) and its raw attributes."""

    name: str
    op: str
    inputs: list[str]
    attr: dict[str, Any]


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
    """The nodes of ``modelTopology``, control dependencies dropped, repeated nodes kept once."""
    raw_nodes = topology.get("node") if isinstance(topology, Mapping) else None
    if not isinstance(raw_nodes, list):
        raise ModelFormatError("the graph model's 'modelTopology' has no 'node' list.")
    nodes = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("op"), str):
            raise ModelFormatError(f"node #{i} of the graph has no 'name' or 'op'.")
        name = raw["name"]
        if name in seen:  # the converter sometimes repeats a node (e.g. the Placeholder): keep the first
            continue
        seen.add(name)
        inputs = []
        for inp in raw.get("input", []) or []:
            inp = str(inp)
            if inp.startswith("^"):
                continue  # control dependency: order only, no data
            base, _, index = inp.partition(":")
            if index not in ("", "0"):
                raise ModelFormatError(f"node '{name}' reads output {index} of '{base}'; only first outputs are supported.")
            inputs.append(base)
        nodes.append(GraphNode(name, raw["op"], inputs, dict(raw.get("attr") or {})))
    return nodes


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
