"""The general graph executor: every TensorFlow op the TF.js converter writes, one module per family.

``op_table`` / ``op_list/``: what each op reads (inputs and attributes), as data.
``params``: a node's inputs and attributes resolved by that table.
``registry``: the executor signature, ``Params`` and the run's ``ExecutionContext``.
``executors/``: the numpy code of each family.
"""
