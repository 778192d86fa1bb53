"""Benchmark: each zoo model's prediction in numpy against TensorFlow.js's pure-JS CPU backend.

For every real TF.js graph model of ../shared/zoo, in one run: the median time of
``tc.load_model(folder).predict(x)`` on the model's ``ref/input.npy`` (after warm-up), its
agreement with TF.js's saved outputs (max |diff| / max |ref| over the outputs; integer
outputs must be equal), and the median time of TF.js 4.22's ``execute`` on the same input
under node (``@tensorflow/tfjs`` pinned in tests/tfjs, CPU backend; benchmarks/tfjs_zoo.js).
Goal: every model at least 10x faster than TF.js. A model that does not run yet gets its
error in its row. The table goes to stdout (Markdown), progress to stderr.

Run: ``python benchmarks/bench_zoo.py [--zoo-dir DIR] [--models NAME,...] [--repeat N] [--threads N] [--no-tfjs]``.
numpy runs on one BLAS thread by default, as TF.js's CPU backend does (--threads to change it).
TF.js needs node and ``npm ci --prefix tests/tfjs`` (done here when missing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import tfcache_nb as tc
from tfcache_nb.errors import ModelLoadError
from tfcache_nb.experiments.sources import resolve_model_dir

from bench_inference import timeit  # (median, best) seconds after warm-up

REPO = Path(__file__).resolve().parents[1]
TFJS_DIR = REPO / "tests" / "tfjs"
GOAL = 10.0


@dataclass
class Row:
    name: str
    what: str = ""
    weight_bytes: int = 0
    parity: str = ""
    numpy_ms: float | None = None
    tfjs_ms: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.numpy_ms and self.tfjs_ms:
            return self.tfjs_ms / self.numpy_ms
        return None


def find_zoo(zoo_dir: str | None) -> Path:
    """--zoo-dir, else $TFCACHE_NB_MODEL_DIR/../zoo, else ../shared/zoo beside the checkout."""
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    if zoo_dir:
        candidates = [Path(zoo_dir)]
    else:
        candidates = ([Path(env).parent / "zoo"] if env else []) + [REPO.parent / "shared" / "zoo"]
    for c in candidates:
        if c.is_dir() and any((p / "ref" / "outputs.json").is_file() for p in c.iterdir() if p.is_dir()):
            return c
    raise SystemExit(f"error: no model zoo found (tried {', '.join(str(c) for c in candidates)}); "
                     "give --zoo-dir")


def zoo_descriptions(zoo: Path) -> dict[str, str]:
    """'what it computes' of each model, from the zoo README's table."""
    try:
        text = (zoo / "README.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    rows = {}
    header: list[str] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        if "model" in cells and "what it computes" in cells:
            header = cells
        elif header and len(cells) == len(header) and not set(cells[0]) <= {"-", " ", ":"}:
            rows[cells[0]] = cells[header.index("what it computes")]
    return rows


def weight_bytes(folder: Path) -> int:
    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    return sum((folder / p).stat().st_size for g in doc.get("weightsManifest", []) for p in g.get("paths", []))


def parity(got, ref: dict, folder: Path) -> str:
    """The worst max|diff| / max|ref| over float outputs; integer outputs must be equal."""
    got = got if isinstance(got, list) else [got]
    if len(got) != len(ref["outputs"]):
        return f"{len(got)} outputs, TF.js {len(ref['outputs'])}"
    worst = 0.0
    for value, spec in zip(got, ref["outputs"]):
        want = np.load(folder / "ref" / spec["file"])
        value = np.asarray(value)
        if list(value.shape) != list(want.shape):
            return f"{spec['name']}: shape {list(value.shape)}, TF.js {list(want.shape)}"
        if spec["dtype"] != "float32":
            differ = int(np.count_nonzero(value != want))
            if differ:
                return f"{spec['name']}: {differ} of {want.size} differ"
            continue
        if want.size:
            scale = float(np.abs(want).max()) or 1.0
            worst = max(worst, float(np.abs(value.astype(np.float64) - want).max()) / scale)
    return "exact" if worst == 0 else f"{worst:.1e}"


def run_numpy(row: Row, folder: Path, warmup: int, repeat: int) -> None:
    ref = json.loads((folder / "ref" / "outputs.json").read_text(encoding="utf-8"))
    x = np.load(folder / "ref" / "input.npy")
    try:
        model = tc.load_model(str(folder))
        got = model.predict(x)
        row.parity = parity(got, ref, folder)
        row.numpy_ms = timeit(lambda: model.predict(x), repeat, warmup - 1)[0] * 1000
    except Exception as exc:  # a model that does not run yet: its error goes in its row
        row.errors.append(f"numpy: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


def tfjs_ready() -> str | None:
    """Why TF.js cannot run (None when it can); installs the pinned package when missing."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            return "npm is not installed (TF.js cannot be installed)"
        print("installing @tensorflow/tfjs (npm ci --prefix tests/tfjs)...", file=sys.stderr)
        done = subprocess.run([npm, "ci", "--prefix", str(TFJS_DIR), "--no-audit", "--no-fund", "--loglevel=error"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            return "npm ci --prefix tests/tfjs failed"
    return None


class TfjsTimer:
    """One node process running benchmarks/tfjs_zoo.js; each model is sent when its turn comes,
    right after numpy's timing of it, so both sides see the machine in the same state."""

    def __init__(self) -> None:
        self.why_not = tfjs_ready()
        self._tmp = tempfile.TemporaryDirectory()
        self._proc = None
        if self.why_not is None:
            self._proc = subprocess.Popen(["node", str(Path(__file__).with_name("tfjs_zoo.js"))],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def time(self, row: Row, folder: Path, warmup: int, repeat: int) -> None:
        """The row gets TF.js's median time, or the reason it has none."""
        if self._proc is None:
            row.errors.append(f"TF.js: {self.why_not}")
            return
        ref = json.loads((folder / "ref" / "outputs.json").read_text(encoding="utf-8"))
        dtype = "int32" if ref.get("input_dtype") in ("int32", "uint8") else "float32"
        x = np.load(folder / "ref" / "input.npy").astype(dtype)
        raw = Path(self._tmp.name) / f"{row.name}.raw"
        raw.write_bytes(np.ascontiguousarray(x).tobytes())
        job = {"name": row.name, "dir": str(folder), "input": str(raw), "dtype": dtype, "shape": list(x.shape),
               "warmup": warmup, "repeat": repeat}
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        for line in self._proc.stdout:
            if line.startswith("{"):
                result = json.loads(line)
                break
        else:
            self.why_not = f"node exited with {self._proc.wait()}"
            self._proc = None
            row.errors.append(f"TF.js: {self.why_not}")
            return
        if "error" in result:
            row.errors.append(f"TF.js: {result['error'][:160]}")
        else:
            row.tfjs_ms = statistics.median(result["ms"])

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()
            self._proc.wait()
        self._tmp.cleanup()


def table(rows: list[Row]) -> str:
    lines = ["| model | what it computes | weights | parity | ms numpy | ms TF.js | TF.js / numpy |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        parity_cell = r.parity or "-"
        if r.errors:
            parity_cell = "; ".join([r.parity] + r.errors if r.parity else r.errors)
        lines.append(f"| {r.name} | {r.what} | {tc.human_bytes(r.weight_bytes)} | {parity_cell} | "
                     f"{_ms(r.numpy_ms)} | {_ms(r.tfjs_ms)} | {f'{r.ratio:.0f}x' if r.ratio else '-'} |")
    return "\n".join(lines)


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Table to stdout (Markdown), progress to stderr.")
    parser.add_argument("--zoo-dir", help="the zoo folder (default: $TFCACHE_NB_MODEL_DIR/../zoo, else ../shared/zoo)")
    parser.add_argument("--models", help="comma-separated model names (or parts of names); default: all")
    parser.add_argument("--repeat", type=int, default=5, help="timed predictions per model and side (median; default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed predictions first (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="numpy's BLAS threads (default 1, as TF.js's CPU backend uses one; needs threadpoolctl)")
    parser.add_argument("--no-tfjs", action="store_true", help="time numpy only")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 1 or args.threads < 1:
        parser.error("--repeat, --warmup and --threads must be at least 1")
    with blas_threads(args.threads):
        return run(args, parser)


def blas_threads(n: int):
    """numpy's BLAS limited to ``n`` threads (threadpoolctl, the bench extra); unchanged without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed (pip install -e '.[bench]'): BLAS threads left as they are",
              file=sys.stderr)
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:

    zoo = find_zoo(args.zoo_dir)
    names = sorted(p.name for p in zoo.iterdir() if (p / "ref" / "outputs.json").is_file())
    if args.models:
        wanted = [w.strip() for w in args.models.split(",") if w.strip()]
        missing = [w for w in wanted if not any(w in n for n in names)]
        if missing:
            parser.error(f"no zoo model matches {', '.join(missing)} (models: {', '.join(names)})")
        names = [n for n in names if n in wanted or any(w in n for w in wanted if w not in names)]
    what = zoo_descriptions(zoo)
    tfjs = None if args.no_tfjs else TfjsTimer()
    rows = []
    try:
        for i, name in enumerate(names, 1):
            try:
                folder = resolve_model_dir(zoo / name)
            except ModelLoadError as exc:
                rows.append(Row(name, what.get(name, ""), errors=[str(exc)]))
                continue
            row = Row(name, what.get(name, ""), weight_bytes(folder))
            rows.append(row)
            print(f"[{i}/{len(names)}] {name}: numpy...", file=sys.stderr, flush=True)
            run_numpy(row, folder, args.warmup, args.repeat)
            if tfjs is not None:
                print(f"[{i}/{len(names)}] {name}: TF.js...", file=sys.stderr, flush=True)
                tfjs.time(row, folder, args.warmup, args.repeat)
    finally:
        if tfjs is not None:
            tfjs.close()

    print(table(rows))
    timed = [r for r in rows if r.ratio]
    slow = [r.name for r in timed if r.ratio < GOAL]
    print(f"\n{len(timed) - len(slow)} of {len(rows)} models at least {GOAL:.0f}x faster than TF.js's CPU backend"
          + (f"; below: {', '.join(slow)}" if slow else "") + f" (numpy {np.__version__}, "
          f"{args.threads} BLAS thread(s) on {os.cpu_count()} cores, median of {args.repeat} after {args.warmup} warm-up).")
    return 0 if not slow and len(timed) == len(rows) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
