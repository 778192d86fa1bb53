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

from tfcache_nb._units import human_bytes

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def onnx_from_layers(artifacts, batch: int):
    """An ONNX model of a Keras MobileNet v1 topology (a chain of the layers it uses)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from tfcache_nb.inference import ops
    from tfcache_nb.inference.keras_topology import parse_topology
    from tfcache_nb.inference.keras_weights import WeightTable

    graph = parse_topology(artifacts.model_topology)
    table = WeightTable(artifacts.decode_weights())
    h, w, c = graph.input_shape[1:]
    nodes, inits = [], []
    cur = graph.input_name
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


GROUPS = ("first conv", "depthwise", "pointwise", "classifier", "other")


def numpy_groups(model, x: np.ndarray, repeat: int) -> dict[str, float]:
    """Seconds per kind of layer in one numpy prediction (``Model.profile``, steps timed in sequence)."""
    totals = dict.fromkeys(GROUPS, 0.0)
    timings = model.profile(x, repeat)
    first_conv = next((t.output for t in timings if t.op == "Conv2D"), None)
    for t in timings:
        if t.op == "DepthwiseConv2D":
            group = "depthwise"
        elif t.op == "Conv2D":
            group = "first conv" if t.output == first_conv else "classifier" if t.shape[1:3] == (1, 1) else "pointwise"
        else:
            group = "other"
        totals[group] += t.seconds
    return totals


def onnx_groups(onnx_model) -> dict[str, str]:
    """Kind of layer of each ONNX node output, for reading onnxruntime's profile."""
    kinds: dict[str, str] = {}
    first = True
    for node in onnx_model.graph.node:
        if node.op_type == "Conv":
            attrs = {a.name: a for a in node.attribute}
            if "group" in attrs and attrs["group"].i > 1:
                kinds[node.output[0]] = "depthwise"
            elif first:
                kinds[node.output[0]] = "first conv"
            else:
                kinds[node.output[0]] = "pointwise"
            first = False
        elif node.op_type == "Clip" and node.input[0] in kinds:
            kinds[node.output[0]] = kinds[node.input[0]]
    last_conv = [n.output[0] for n in onnx_model.graph.node if n.op_type == "Conv"][-1]
    kinds[last_conv] = "classifier"
    return kinds


def onnxruntime_groups(onnx_model, x: np.ndarray, threads: int, repeat: int) -> dict[str, float]:
    """Seconds per kind of layer in one onnxruntime run, from its own profiler (median per node)."""
    import json
    import tempfile

    import onnxruntime as ort

    kinds = onnx_groups(onnx_model)
    names = sorted(kinds, key=len, reverse=True)
    with tempfile.TemporaryDirectory() as tmp:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.enable_profiling = True
        opts.profile_file_prefix = str(Path(tmp) / "ort")
        sess = ort.InferenceSession(onnx_model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        feed = {sess.get_inputs()[0].name: x}
        for _ in range(3 + repeat):
            sess.run(None, feed)
        events = json.loads(Path(sess.end_profiling()).read_text())
    per_node: dict[str, list[float]] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            per_node.setdefault(event["name"][:-len("_kernel_time")], []).append(event["dur"] / 1e6)
    totals = dict.fromkeys(GROUPS, 0.0)
    for node, durations in per_node.items():
        group = next((kinds[n] for n in names if node.startswith(n)), "other")
        totals[group] += statistics.median(durations[3:] or durations)
    return totals


def print_breakdown(name: str, np_groups: dict[str, float], ort_groups: dict[str, float]) -> None:
    print(f"{name} at batch 1, where the time goes (ms; numpy: Model.profile, onnxruntime: its profiler):")
    print(f"  {'layers':12} {'numpy':>8} {'onnxrt':>8} {'ratio':>6}")
    for group in GROUPS:
        a, b = np_groups[group] * 1e3, ort_groups[group] * 1e3
        print(f"  {group:12} {a:8.3f} {b:8.3f} {a / b if b else float('nan'):6.2f}")
    a, b = sum(np_groups.values()) * 1e3, sum(ort_groups.values()) * 1e3
    print(f"  {'all':12} {a:8.3f} {b:8.3f} {a / b:6.2f}")


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
    parser.add_argument("--breakdown", action="store_true",
                        help="also show, for batch 1, the time per kind of layer on both sides")
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
        if args.breakdown:
            x = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
            print_breakdown(name, numpy_groups(model, x, args.repeat),
                            onnxruntime_groups(onnx_from_layers(artifacts, 1), x, args.threads, args.repeat))
        net = MobileNet.from_model(model)
        image = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
        net.classify(image)
        tracemalloc.start()
        net.classify(image)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{name:24} peak memory of one classify call (tracemalloc, after warm-up): {human_bytes(peak)}; "
              f"buffers the model keeps between calls: {human_bytes(retained_bytes(model))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
