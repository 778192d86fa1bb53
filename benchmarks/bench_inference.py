"""Latency of the numpy MobileNets against onnxruntime running the same weights.

Run as a script (not a test):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_inference.py

The ONNX graph is built here, from the model.json weights, with the ``onnx`` helper API
(batch norm folded the same way), so both sides compute the same network. Both run with the
same number of threads. Needs ``onnx``, ``onnxruntime`` and ``threadpoolctl`` (the ``bench``
extra); none of them is used by the toolkit itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def onnx_from_layers(artifacts, batch: int):
    """An ONNX model of a Keras MobileNet v1 topology (a chain of the layers it uses)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from tfcache_nb.inference import ops
    from tfcache_nb.inference.layers_model import WeightTable, parse_topology

    graph = parse_topology(artifacts.model_topology)
    table = WeightTable(artifacts.decode_weights())
    h, w, c = graph.input_shape[1:]
    nodes, inits = [], []
    cur = graph.input_name
    by_name = {layer.name: layer for layer in graph.layers}
    skip: set[str] = set()

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    for layer in graph.layers:
        if layer.name in skip:
            continue
        cfg = layer.config
        if layer.kind in ("Conv2D", "DepthwiseConv2D"):
            dw = layer.kind == "DepthwiseConv2D"
            kh, kw = cfg["kernel_size"]
            s = cfg["strides"][0]
            kernel = table.get(layer.name, "depthwise_kernel" if dw else "kernel", None)
            bias = table.get(layer.name, "bias", None) if cfg.get("use_bias") else None
            users = [lay for lay in graph.layers if layer.name in lay.inputs]
            if len(users) == 1 and users[0].kind == "BatchNormalization":
                bn = users[0]
                params = [table.get(bn.name, k, None) for k in ("gamma", "beta", "moving_mean", "moving_variance")]
                kernel, bias = ops.fold_batch_norm(kernel, bias, *params, float(bn.config["epsilon"]), depthwise=dw)
                skip.add(bn.name)
                out = bn.name
            else:
                out = layer.name
            pt, pb = ops.same_pads(h, kh, s) if cfg["padding"] == "same" else (0, 0)
            pl, pr = ops.same_pads(w, kw, s) if cfg["padding"] == "same" else (0, 0)
            cout = c if dw else kernel.shape[3]
            wk = kernel.transpose(2, 3, 0, 1).reshape(c, 1, kh, kw) if dw else kernel.transpose(3, 2, 0, 1)
            inputs = [cur, const(out + "_W", np.ascontiguousarray(wk, np.float32))]
            if bias is not None:
                inputs.append(const(out + "_B", bias.astype(np.float32)))
            nodes.append(helper.make_node("Conv", inputs, [out], kernel_shape=[kh, kw], strides=[s, s],
                                          pads=[pt, pl, pb, pr], group=c if dw else 1))
            h, w, c = ops.conv_output_size(h, kh, s, 1, cfg["padding"]), ops.conv_output_size(w, kw, s, 1, cfg["padding"]), cout
            cur = out
        elif layer.kind == "Activation" and cfg["activation"] == "relu6":
            nodes.append(helper.make_node("Clip", [cur, const(layer.name + "_lo", np.float32(0)),
                                                   const(layer.name + "_hi", np.float32(6))], [layer.name]))
            cur = layer.name
        elif layer.kind == "Activation" and cfg["activation"] == "softmax":
            flat = layer.name + "_flat"
            nodes.append(helper.make_node("Flatten", [cur], [flat]))
            nodes.append(helper.make_node("Softmax", [flat], [layer.name], axis=1))
            cur = layer.name
        elif layer.kind == "GlobalAveragePooling2D":
            nodes.append(helper.make_node("GlobalAveragePool", [cur], [layer.name]))
            h = w = 1
            cur = layer.name
        elif layer.kind in ("Reshape", "Dropout"):
            continue  # NCHW [N, C, 1, 1] already has the shape the next conv needs
        else:
            raise SystemExit(f"the benchmark's ONNX builder does not handle layer {layer.name} ({layer.kind}).")
    transpose = helper.make_node("Transpose", [graph.input_name + "_nhwc"], [graph.input_name], perm=[0, 3, 1, 2])
    hh, ww, cc = graph.input_shape[1:]
    model = helper.make_model(
        helper.make_graph([transpose] + nodes, "mobilenet",
                          [helper.make_tensor_value_info(graph.input_name + "_nhwc", TensorProto.FLOAT, [batch, hh, ww, cc])],
                          [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [batch, c])], inits),
        opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def retained_bytes(model) -> int:
    """Bytes of the buffers a model reuses between predictions (plan arena, kernel scratch)."""
    return model._plan.retained_bytes()


def timeit(fn, repeat: int, warmup: int = 3) -> tuple[float, float]:
    """(median, best) seconds: on a shared machine the best run shows the code, the median the load."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare numpy MobileNet latency with onnxruntime on the same weights.")
    parser.add_argument("--models-dir", type=Path, default=Path(os.environ.get("TFCACHE_NB_MODEL_DIR", DEFAULT_MODELS)),
                        help="folder with mobilenet_v1_0.25_224/ and mobilenet_v1_0.75_224/")
    parser.add_argument("--models", nargs="+", default=["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--threads", type=int, default=2, help="threads for both BLAS and onnxruntime (default 2)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case; the median is reported")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_info, threadpool_limits
    import onnxruntime as ort

    from tfcache_nb.format.files import read_model_files
    from tfcache_nb.inference.mobilenet import MobileNet
    from tfcache_nb.inference.model import Model

    threadpool_limits(args.threads)
    blas = [f"{i.get('internal_api')} {i.get('version')} core={i.get('architecture')} threads={i.get('num_threads')}"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(f"numpy {np.__version__}; BLAS: {'; '.join(blas) or 'unknown'}; onnxruntime {ort.__version__}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}; threads={args.threads}")
    print(f"{'model':24} {'batch':>5} {'numpy ms/img':>13} {'onnxrt ms/img':>14} {'ratio':>6} "
          f"{'best numpy':>11} {'best onnxrt':>12} {'best ratio':>11} {'max |diff|':>11}")
    rng = np.random.default_rng(0)
    for name in args.models:
        artifacts = read_model_files(args.models_dir / name)
        model = Model.from_artifacts(artifacts)
        for batch in args.batches:
            x = rng.uniform(-1, 1, (batch, 224, 224, 3)).astype(np.float32)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = args.threads
            opts.inter_op_num_threads = 1
            sess = ort.InferenceSession(onnx_from_layers(artifacts, batch).SerializeToString(), opts,
                                        providers=["CPUExecutionProvider"])
            feed = {sess.get_inputs()[0].name: x}
            diff = float(np.abs(sess.run(None, feed)[0].reshape(batch, -1) - model.predict(x)).max())
            t_np, b_np = (t / batch * 1e3 for t in timeit(lambda: model.predict(x), args.repeat))
            t_ort, b_ort = (t / batch * 1e3 for t in timeit(lambda: sess.run(None, feed), args.repeat))
            print(f"{name:24} {batch:5d} {t_np:13.2f} {t_ort:14.2f} {t_np / t_ort:6.2f} "
                  f"{b_np:11.2f} {b_ort:12.2f} {b_np / b_ort:11.2f} {diff:11.2e}")
        net = MobileNet.from_model(model)
        image = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
        net.classify(image)
        tracemalloc.start()
        net.classify(image)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{name:24} peak memory of one classify call (tracemalloc, after warm-up): {peak / 1e6:.1f} MB; "
              f"buffers the model keeps between calls: {retained_bytes(model) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
