"""What each graph op reads: its inputs and attributes, as data apart from the code that runs it.

Mirrors TensorFlow.js's ``tfjs-converter/src/operations/op_list``: every op of a family is one
:class:`OpDef` in ``op_list/<family>.py``; ``params.resolve`` turns a node into named values by
this table, and ``executors/<family>.py`` computes the op from those values. An op missing from
the table is refused when the model is built, naming the op and the node.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

#: how an input is handed to the executor
#: tensor: one np.ndarray; tensors: a list of arrays (``start`` up to ``end``);
#: number / bool: a Python scalar read from the input's first element;
#: numbers: a list of Python scalars (the input flattened); dtype-free and shape-free.
InputKind = Literal["tensor", "tensors", "number", "numbers", "bool"]
#: how an attribute is handed to the executor
#: number: int or float; numbers: list; bool; string; strings: list[str];
#: dtype: a TF.js dtype name ('float32', 'int32', 'bool', 'string', 'complex64');
#: dtypes: list of them; shape: list[int] (-1 unknown) or None for unknown rank; func: a function name.
AttrKind = Literal["number", "numbers", "bool", "string", "strings", "dtype", "dtypes", "shape", "func"]

REQUIRED: Any = object()  # marks an input or attribute the node must have


@dataclasses.dataclass(frozen=True)
class In:
    """One input of an op: the node's input at ``start`` (or inputs ``start:end`` for ``tensors``).

    ``end`` counts like Python slices: None is to the last input, -1 all but the last.
    An input the node lacks gets ``default`` (or the node is refused when it is REQUIRED).
    """

    start: int
    name: str
    kind: InputKind = "tensor"
    end: int | None = None
    default: Any = REQUIRED


@dataclasses.dataclass(frozen=True)
class Attr:
    """One attribute: read from ``tf_name`` in the node's ``attr``, handed over as ``name``."""

    tf_name: str
    name: str
    kind: AttrKind
    default: Any = REQUIRED


@dataclasses.dataclass(frozen=True)
class OpDef:
    """One TensorFlow op as the converter writes it; ``outputs`` is how many arrays it returns
    (None: as many as the executor returns, e.g. Unpack, Split)."""

    name: str
    family: str
    inputs: tuple[In, ...] = ()
    attrs: tuple[Attr, ...] = ()
    outputs: int | None = 1


def op_table() -> dict[str, OpDef]:
    """Every op the graph executor knows, by TensorFlow op name (built once, on first use)."""
    global _TABLE
    if _TABLE is None:
        from .op_list import ALL_OP_DEFS

        table: dict[str, OpDef] = {}
        for op in ALL_OP_DEFS:
            if op.name in table:
                raise RuntimeError(f"op {op.name} is defined twice ({table[op.name].family}, {op.family})")
            if any(spec.name == "node" for spec in op.inputs + op.attrs):
                raise RuntimeError(f"op {op.name} names a parameter 'node', which is Params.node")
            table[op.name] = op
        _TABLE = table
    return _TABLE


_TABLE: dict[str, OpDef] | None = None
