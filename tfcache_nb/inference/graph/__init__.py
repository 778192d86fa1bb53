"""The general graph executor: the TensorFlow ops of TF.js's converter, one module per op family.

Not its hash_table, string, sparse, spectral, ragged and tfdf families (such a model is refused
when it is built, naming the ops).

``op_table`` / ``op_list/``: what each op reads (inputs and attributes), as data.
``params``: a node's inputs and attributes resolved by that table.
``registry``: the executor signature, ``Params`` and the run's ``ExecutionContext``.
``executors/``: the numpy code of each family.
``program``: ``GraphProgram`` builds a graph (constant folding, schedules) and runs it in a fixed order;
``frames``: the frame scheduler for TF1 control flow; ``step``: one node ready to run;
``constants``: Const nodes' values.
"""
