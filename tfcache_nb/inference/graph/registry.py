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
    """A node's inputs and attributes by name; also ``p.node`` (name, op, raw attributes).

    The values are the instance's own attributes (``p.x`` is a plain attribute read, no
    Python-level lookup: executors read several per node, on every run).
    """

    def __init__(self, node: GraphNode, values: dict[str, Any]):
        values["node"] = node  # (no op has a parameter named 'node': op_table refuses one)
        self.__dict__ = values

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __getattr__(self, key: str) -> Any:  # only reached for a name that is not there
        raise AttributeError(f"op {self.__dict__['node'].op} has no parameter '{key}'")

    def __iter__(self) -> Iterator[str]:
        return (key for key in self.__dict__ if key != "node")

    def __len__(self) -> int:
        return len(self.__dict__) - 1

    def __repr__(self) -> str:
        return f"Params({self.node.op} {self.node.name!r}: {sorted(self)})"


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
