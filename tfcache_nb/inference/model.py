"""A runnable model: artifacts compiled to a numpy plan, plus ``load_model`` through the cache."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import InvalidArgumentError, ModelFormatError
from .ops.shapes import largest_divisor_at_most as _largest_divisor_at_most  # equal chunks: one bound program
from .plan import Plan, StepTiming

if TYPE_CHECKING:  # pragma: no cover
    from ..format.artifacts import ModelArtifacts


#: an activation of at most this many bytes per image stays in a core's L2 cache
L2_BYTES = 1 << 20
#: images per run for models with larger activations (measured best for MobileNet 0.75)
LARGE_ACTIVATION_CHUNK = 4


def batch_chunk(activation_bytes_per_image: int) -> int:
    """How many images one run of a plan should take, from its largest activation per image.

    Measured on MobileNet: when every activation of one image fits in L2 (0.25: 0.8 MB at
    most), a batch only pushes them out to L3, so images are best run one at a time; with
    larger activations (0.75: 2.4 MB) a few images per run amortise the per-layer overhead.
    """
    return 1 if activation_bytes_per_image <= L2_BYTES else LARGE_ACTIVATION_CHUNK


class Model:
    """A layers or graph model ready to predict on float32 NHWC batches."""

    def __init__(self, artifacts: "ModelArtifacts", plan: Plan, kind: str, input_shape: tuple[int | None, ...],
                 output_shape: tuple[int | None, ...], builder: Any, report: Any = None):
        self.artifacts = artifacts
        self.report = report
        self.kind = kind
        self.input_shape = input_shape
        self.output_shape = output_shape
        self._plan = plan
        self._chunk: int | None = None  # known after the first prediction
        self._builder = builder  # builds a plan keeping named intermediate outputs
        self._named_plans: dict[tuple[str, ...], Plan] = {}

    @classmethod
    def from_artifacts(cls, artifacts: "ModelArtifacts", report: Any = None) -> "Model":
        """Compile the artifacts; any problem with the model raises ModelFormatError here."""
        if artifacts.model_topology is None:
            raise ModelFormatError("the model has no 'modelTopology', so there is nothing to run.")
        weights = artifacts.decode_weights()
        if artifacts.is_graph_model:
            from .graph_model import build_graph_plan

            def builder(outputs: Sequence[str] | None = None) -> Plan:
                return build_graph_plan(artifacts.model_topology, weights, outputs=outputs,
                                        signature=artifacts.signature)[0]

            plan, info = build_graph_plan(artifacts.model_topology, weights, signature=artifacts.signature)
            return cls(artifacts, plan, "graph", info.input_shape, info.output_shape, builder, report)
        from .layers_model import build_layers_plan

        def lbuilder(outputs: Sequence[str] | None = None) -> Plan:
            return build_layers_plan(artifacts.model_topology, weights, keep=outputs or (), outputs=outputs)[0]

        plan, graph = build_layers_plan(artifacts.model_topology, weights)
        out_shape = plan.steps[-1].shape if plan.steps else graph.input_shape[1:]
        for step in plan.steps:
            if step.output == graph.outputs[0]:
                out_shape = step.shape
        return cls(artifacts, plan, "layers", (None, *graph.input_shape[1:]), (None, *out_shape), lbuilder, report)

    # ------------------------------------------------------------------ running
    def _check_input(self, x: Any) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            raise InvalidArgumentError(f"predict() takes a numpy array, not {type(x).__name__}.")
        if x.dtype != np.float32:
            if x.dtype.kind in "fiu" and x.dtype != np.bool_:
                raise InvalidArgumentError(f"predict() takes float32 input, not {x.dtype}; convert with x.astype('float32') "
                                "after scaling it as the model expects.")
            raise InvalidArgumentError(f"predict() takes float32 input, not {x.dtype}.")
        expected = self.input_shape
        if x.ndim != len(expected):
            raise InvalidArgumentError(f"predict() takes a batch of shape {_shape_text(expected)}, "
                             f"but got an array of shape {list(x.shape)} (rank {x.ndim}).")
        for got, want in zip(x.shape[1:], expected[1:]):
            if want is not None and got != want:
                raise InvalidArgumentError(f"predict() takes a batch of shape {_shape_text(expected)}, "
                                 f"but got {list(x.shape)}.")
        if x.shape[0] == 0:
            raise InvalidArgumentError("predict() got an empty batch.")
        return np.ascontiguousarray(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Run the model on a float32 NHWC batch; returns the model's (first) output.

        A large batch runs in equal chunks (see :func:`batch_chunk`), so that per image a
        batch is never slower than one image at a time.
        """
        x = self._check_input(x)
        n = x.shape[0]
        if self._chunk is None and self._plan.activation_bytes_per_image:
            self._chunk = batch_chunk(self._plan.activation_bytes_per_image)
        chunk = _largest_divisor_at_most(n, self._chunk or n)
        if chunk == n:
            return self._plan.run(x)[0]
        out: np.ndarray | None = None
        for start in range(0, n, chunk):
            y = self._plan.run(x[start:start + chunk])[0]
            if out is None:
                out = np.empty((n, *y.shape[1:]), y.dtype)
            out[start:start + chunk] = y
        assert out is not None
        return out

    def profile(self, x: np.ndarray, repeat: int = 10) -> list[StepTiming]:
        """Where a prediction on ``x`` spends its time: each layer's (or node's) median seconds.

        The batch runs whole (not in chunks), ``repeat`` times after one warm-up run.
        """
        x = self._check_input(x)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise InvalidArgumentError(f"profile() takes repeat as a whole number of runs >= 1, not {repeat!r}.")
        return self._plan.profile(x, repeat)

    def predict_named(self, x: np.ndarray, outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """The outputs of the named layers (layers models) or nodes (graph models)."""
        if isinstance(outputs, str):
            outputs = [outputs]
        key = tuple(outputs)
        plan = self._named_plans.get(key)
        if plan is None:
            plan = self._builder(list(outputs))
            self._named_plans[key] = plan
        values = plan.run(self._check_input(x))
        return dict(zip(key, values))

    def __repr__(self) -> str:
        return (f"Model({self.kind} model, input {_shape_text(self.input_shape)}, "
                f"output {_shape_text(self.output_shape)})")


def _shape_text(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("N" if d is None else str(d) for d in shape) + "]"


def load_model(source: Any, *, cache: Any = None, cache_key: str | None = None, **options: Any) -> Model:
    """Load artifacts through the cache-aware loader and compile them; the build time goes in the report.

    With ``quantize="auto"`` or ``max_drift``, the numpy runner measures each form's drift.
    """
    from .loading import load_artifacts

    artifacts, report = load_artifacts(source, cache=cache, cache_key=cache_key, **options)
    start = time.perf_counter()
    model = Model.from_artifacts(artifacts, report=report)
    phases = getattr(report, "phases", None)
    if isinstance(phases, dict):
        phases["build"] = time.perf_counter() - start
    return model
