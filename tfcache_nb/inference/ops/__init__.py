"""Numpy kernels (NHWC, float32) with TensorFlow's semantics, so results match TensorFlow.js.

One module per concept; this package re-exports what the executors build from, so they
(and the benchmark) write ``ops.Conv2D``, ``ops.softmax``, ``ops.fold_batch_norm``.
"""

from .activations import ACTIVATIONS, relu, relu6, sigmoid, softmax, tanh
from .batch_norm import batch_norm, batch_norm_scale_offset, fold_batch_norm, fold_scale_offset
from .conv import Conv2D
from .dense import dense, matmul
from .depthwise import DepthwiseConv2D
from .mean import mean
from .padding import conv_output_size, same_pads, zero_pad
from .pooling import global_avg_pool, pool2d, pool_output_shape
from .shapes import add, concat, flatten, reshape, reshape_target

__all__ = [
    "ACTIVATIONS", "Conv2D", "DepthwiseConv2D", "add", "batch_norm", "batch_norm_scale_offset",
    "concat", "conv_output_size", "dense", "flatten", "fold_batch_norm", "fold_scale_offset", "global_avg_pool",
    "matmul", "mean", "pool2d", "pool_output_shape", "relu", "relu6", "reshape", "reshape_target",
    "same_pads", "sigmoid", "softmax", "tanh", "zero_pad",
]
