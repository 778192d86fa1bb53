"""The op table and the executors describe the same ops, and the table resolves attributes as documented."""

import numpy as np
import pytest

from tfcache_nb.errors import ModelFormatError
from tfcache_nb.inference.graph.executors import ALL_EXECUTORS
from tfcache_nb.inference.graph.op_list import FAMILIES
from tfcache_nb.inference.graph.op_table import Attr, In, OpDef, op_table
from tfcache_nb.inference.graph.params import resolve

from graph_helpers import DType, make_node


def test_every_op_in_the_table_has_an_executor_and_back():
    table = op_table()
    assert set(table) == set(ALL_EXECUTORS), (set(table) ^ set(ALL_EXECUTORS))


def test_each_family_module_only_defines_its_own_family():
    for module in FAMILIES:
        family = module.__name__.rsplit(".", 1)[1]
        assert all(op.family == family for op in module.OPS), family


def test_params_resolve_inputs_and_typed_attributes():
    op = OpDef("Fake", "test",
               inputs=(In(0, "x"), In(1, "axis", "number"), In(2, "sizes", "numbers"), In(3, "rest", "tensors")),
               attrs=(Attr("T", "dtype", "dtype"), Attr("keep_dims", "keep", "bool", False),
                      Attr("strides", "strides", "numbers"), Attr("alpha", "alpha", "number", 0.2),
                      Attr("padding", "padding", "string")))
    node = make_node("Fake", 5, T=DType("int32"), strides=[1, 2, 2, 1], padding="SAME")
    x = np.zeros((2, 3), np.float32)
    p = resolve(node, op, [x, np.array([-1], np.int32), np.array([3, 4], np.int32), x, x])
    assert p.x is x and p.axis == -1 and p.sizes == [3, 4] and len(p.rest) == 2
    assert (p.dtype, p.keep, p.strides, p.alpha, p.padding) == ("int32", False, [1, 2, 2, 1], 0.2, "SAME")


def test_a_missing_required_attribute_names_the_node():
    op = OpDef("Fake", "test", attrs=(Attr("padding", "padding", "string"),))
    with pytest.raises(ModelFormatError, match="'node'.*padding"):
        resolve(make_node("Fake", 0), op, [])


def test_params_read_as_attributes_and_as_a_mapping_without_the_node():
    from tfcache_nb.inference.graph_def import GraphNode
    from tfcache_nb.inference.graph.registry import Params

    node = GraphNode("n", "Add", [], {})
    p = Params(node, {"a": 1, "b": [2]})
    assert p.node is node and p.a == 1 and p["b"] == [2] and p.get("c", 3) == 3
    assert sorted(p) == ["a", "b"] and len(p) == 2 and dict(p) == {"a": 1, "b": [2]}
    with pytest.raises(AttributeError, match="op Add has no parameter 'c'"):
        p.c
