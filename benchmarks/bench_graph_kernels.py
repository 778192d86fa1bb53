"""Benchmark: the graph executor's window kernels against their straightforward forms, on zoo shapes.

Each row times, in the same run and on the same input, the kernel the executors use and the
form one would write first (kept here only as the baseline), checks that both give the same
numbers, and prints the speed-up:

- Conv2DBackpropInput (efficientpose's 4x4 stride-2 deconvolutions, selfie's 2x2 one):
  sub-pixel form (stride*stride small convolutions) vs one matrix product then a scatter-add
  of every tap into the output (col2im).
- AvgPool / MaxPool with a whole-image window (selfie's 64x64 and 128x128 pools): one axis at
  a time vs tap by tap (``ops.pool2d``).
- ResizeBilinear (centernet's and blazepose's upsamplings): separable float32 vs four gathers
  per output pixel in float64.

Run: ``python benchmarks/bench_graph_kernels.py [--repeat N]``; Markdown table to stdout,
progress to stderr. Timings are the minimum of N runs (the machine may be shared).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

import numpy as np

from bench_inference import timeit

from tfcache_nb.inference import ops
from tfcache_nb.inference.ops.conv_transpose import Conv2DTranspose
from tfcache_nb.inference.ops.padding import same_pads
from tfcache_nb.inference.ops.resize import _bilinear_axis, resize_bilinear
from tfcache_nb.inference.ops.windows import pool_nd

F32 = np.float32


def scatter_conv_transpose(dy: np.ndarray, kernel: np.ndarray, stride: int, out_hw: tuple[int, int]) -> np.ndarray:
    """Baseline: every input pixel's window from one matrix product, each tap added into place ('same')."""
    n, h, w, cin = dy.shape
    kh, kw, cout, _ = kernel.shape
    taps = dy.reshape(-1, cin) @ kernel.transpose(3, 0, 1, 2).reshape(cin, -1)
    taps = taps.reshape(n, h, w, kh, kw, cout)
    pt, pl = same_pads(out_hw[0], kh, stride)[0], same_pads(out_hw[1], kw, stride)[0]
    full = np.zeros((n, max((h - 1) * stride + kh, pt + out_hw[0]), max((w - 1) * stride + kw, pl + out_hw[1]),
                     cout), F32)
    for i in range(kh):
        for j in range(kw):
            full[:, i:i + (h - 1) * stride + 1:stride, j:j + (w - 1) * stride + 1:stride] += taps[:, :, :, i, j]
    return full[:, pt:pt + out_hw[0], pl:pl + out_hw[1]]


def gather_resize(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Baseline: TF.js's formula per output pixel, four gathers, float64 (half-pixel centers)."""
    n, h, w, c = x.shape
    r0, r1, fr = _bilinear_axis(h, size[0], False, True)
    c0, c1, fc = _bilinear_axis(w, size[1], False, True)
    top, bottom = x[:, r0].astype(np.float64), x[:, r1].astype(np.float64)
    fc = fc[None, None, :, None]
    upper = top[:, :, c0] + (top[:, :, c1] - top[:, :, c0]) * fc
    lower = bottom[:, :, c0] + (bottom[:, :, c1] - bottom[:, :, c0]) * fc
    return (upper + (lower - upper) * fr[None, :, None, None]).astype(F32)


def best_ms(fn: Callable[[], np.ndarray], repeat: int) -> float:
    return timeit(fn, repeat, warmup=1)[1] * 1e3


def cases(rng: np.random.Generator) -> list[tuple[str, str, Callable[[], np.ndarray], Callable[[], np.ndarray]]]:
    """(kernel, zoo shape, ours, baseline) rows."""
    rows = []
    for name, hw, k, cin, cout in (("efficientpose", 184, 4, 16, 16), ("efficientpose", 92, 4, 16, 16),
                                   ("selfie", 128, 2, 16, 1)):
        dy = rng.standard_normal((1, hw, hw, cin)).astype(F32)
        kernel = rng.standard_normal((k, k, cout, cin)).astype(F32)
        deconv = Conv2DTranspose(kernel, (2, 2), "same")
        rows.append(("Conv2DBackpropInput", f"{name} {dy.shape} -> {2 * hw}x{2 * hw}x{cout}",
                     lambda d=deconv, x=dy, s=2 * hw: d(x, (s, s)),
                     lambda x=dy, kk=kernel, s=2 * hw: scatter_conv_transpose(x, kk, 2, (s, s))))
    for hw, c in ((64, 16), (128, 16)):
        x = rng.standard_normal((1, hw, hw, c)).astype(F32)
        for mode in ("avg", "max"):
            rows.append((f"{mode.capitalize()}Pool {hw}x{hw} window", f"selfie {x.shape}",
                         lambda x=x, k=hw, m=mode: pool_nd(x, (k, k), (k, k), "valid", m),
                         lambda x=x, k=hw, m=mode: ops.pool2d(x, (k, k), (k, k), "valid", m)))
    for name, shape, size in (("centernet", (1, 64, 64, 64), (128, 128)), ("blazepose", (1, 7, 7, 1152), (14, 14))):
        x = rng.standard_normal(shape).astype(F32)
        rows.append(("ResizeBilinear", f"{name} {shape} -> {size}",
                     lambda x=x, s=size: resize_bilinear(x, s, False, True),
                     lambda x=x, s=size: gather_resize(x, s)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per kernel (the minimum is kept)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rows = cases(np.random.default_rng(0))
    print("| kernel | zoo shape | ms | baseline ms | speed-up | max |diff| |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for i, (kernel, shape, ours, base) in enumerate(rows, 1):
        print(f"[{i}/{len(rows)}] {kernel} {shape}", file=sys.stderr, flush=True)
        diff = float(np.max(np.abs(ours().astype(np.float64) - base())))
        t_ours, t_base = best_ms(ours, args.repeat), best_ms(base, args.repeat)
        print(f"| {kernel} | {shape} | {t_ours:.2f} | {t_base:.2f} | {t_base / t_ours:.1f}x | {diff:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
