"""The plug point between the graph executor and the op families.

An executor is a plain function ``fn(p, ctx)``: ``p`` holds the node's inputs and attributes by
the names its :class:`~.op_table.OpDef` gives them (``p.x``, ``p["axis"]``), ``ctx`` is the run's
:class:`ExecutionContext`. It returns one array, or a list of arrays for ops with several outputs
(read by the graph as ``name:0``, ``name:1``, ...). Executors raise ``ValueError`` /
``IndexError`` / ``TypeError`` (or :class:`~tfcache_nb.errors.ModelFormatError`) on bad input;
the executor core turns any of them into one typed error naming the node, op and shapes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import numpy as np

from ..graph_def import GraphNode

Result = Union[np.ndarray, Sequence[np.ndarray]]


class Params(Mapping[str, Any]):
    """A node's inputs and attributes by name; also ``p.node`` (name, op, raw attributes)."""

    __slots__ = ("node", "_values")

    def __init__(self, node: GraphNode, values: dict[str, Any]):
        self.node = node
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"op {self.node.op} has no parameter '{key}'") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self.node.op} {self.node.name!r}: {sorted(self._values)})"


class ExecutionContext:
    """What a run of a graph shares between nodes.

    ``state(node)`` is a dict kept across runs for one node (an executor may cache a prepared
    kernel there, keyed by what it depends on). TensorArrays and TensorLists need no table
    here: their handles carry the container (see ``resources``). ``functions`` is the
    graph's function library (for StatelessIf / StatelessWhile), and
    ``run_function(name, inputs)`` runs one of them.
    """

    def __init__(self, functions: Mapping[str, Any] | None = None,
                 run_function: Callable[[str, Sequence[np.ndarray]], list[np.ndarray]] | None = None,
                 node_state: dict[str, dict] | None = None):
        self.functions = dict(functions or {})
        self._run_function = run_function
        self._node_state = node_state if node_state is not None else {}

    def state(self, node: GraphNode) -> dict:
        return self._node_state.setdefault(node.name, {})

    def run_function(self, name: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self._run_function is None:
            raise ValueError(f"the graph has no function library to run '{name}'")
        return self._run_function(name, inputs)


Executor = Callable[[Params, ExecutionContext], Result]
