"""A runnable model: artifacts compiled to a numpy plan, plus ``load_model`` through the cache."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

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
    """A layers or graph model ready to predict.

    ``input_names`` / ``output_names`` are TF.js's (``GraphModel.inputNodes`` /
    ``outputNodes``); :meth:`predict` returns one array for one output, else a list in
    ``output_names`` order. Graph models that MobileNet's preplanned executor covers run
    there; every other graph runs on the dynamic graph executor (``graph.program``).
    """

    def __init__(self, artifacts: "ModelArtifacts", plan: Plan | None, kind: str, input_shape: tuple[int | None, ...],
                 output_shape: tuple[int | None, ...], builder: Any, report: Any = None, *,
                 program: Any = None, inputs: Sequence[Any] = (), outputs: Sequence[Any] = (),
                 names: tuple[Sequence[str], Sequence[str]] | None = None):
        self.artifacts = artifacts
        self.report = report
        self.kind = kind
        self.input_shape = input_shape
        self.output_shape = output_shape
        self._plan = plan
        self._program = program  # the dynamic executor's program, when the plan cannot run the graph
        self._program_lock = threading.Lock()  # executors keep prepared kernels per node: one run at a time
        self._inputs = list(inputs)  # graph models: TensorSpec of each input
        self._outputs = list(outputs)
        # TF.js's input and output names: the specs' (graph models) or the given ones (layers models)
        in_names, out_names = names or ([i.name for i in self._inputs], [o.name for o in self._outputs])
        self._input_names, self._output_names = list(in_names), list(out_names)
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
            return cls._graph(artifacts, weights, report)
        from .layers_model import build_layers_plan

        def lbuilder(outputs: Sequence[str] | None = None) -> Plan:
            return build_layers_plan(artifacts.model_topology, weights, keep=outputs or (), outputs=outputs)[0]

        plan, graph = build_layers_plan(artifacts.model_topology, weights)
        out_shape = plan.steps[-1].shape if plan.steps else graph.input_shape[1:]
        for step in plan.steps:
            if step.output == graph.outputs[0]:
                out_shape = step.shape
        return cls(artifacts, plan, "layers", (None, *graph.input_shape[1:]), (None, *out_shape), lbuilder, report,
                   names=([graph.input_name], graph.outputs))

    @classmethod
    def _graph(cls, artifacts: "ModelArtifacts", weights: dict[str, np.ndarray], report: Any) -> "Model":
        from .graph.program import GraphProgram
        from .graph.signature import model_inputs, model_outputs, model_signature
        from .graph_def import parse_nodes
        from .graph_model import build_graph_plan, plan_covers

        topology = artifacts.model_topology
        nodes = parse_nodes(topology)
        signature = model_signature(artifacts)
        inputs, outputs = model_inputs(nodes, signature), model_outputs(nodes, signature)
        if not inputs:
            raise ModelFormatError("the graph has no Placeholder input.")
        input_shape = inputs[0].shape or (None,)
        if plan_covers(topology, nodes, inputs, outputs):
            out_nodes = [o.node for o in outputs]

            def builder(names: Sequence[str] | None = None) -> Plan:
                return build_graph_plan(topology, weights, outputs=names)[0]

            plan, info = build_graph_plan(topology, weights, outputs=out_nodes)
            if info.batch_problem is None:  # else a batch could not run in chunks: the executor runs it
                return cls(artifacts, plan, "graph", info.input_shape, info.output_shape, builder, report,
                           inputs=inputs, outputs=outputs)
        library = (topology.get("library") or {}).get("function") or []
        functions = {str((f.get("signature") or {}).get("name")): f for f in library if isinstance(f, dict)}
        program = GraphProgram(nodes, weights, [i.node for i in inputs], [(o.node, o.index) for o in outputs],
                               functions)
        output_shape = outputs[0].shape or (None,)
        return cls(artifacts, None, "graph", input_shape, output_shape, None, report,
                   program=program, inputs=inputs, outputs=outputs)

    # ------------------------------------------------------------------ names
    @property
    def input_names(self) -> list[str]:
        """The model's inputs, as TF.js's ``GraphModel.inputNodes`` names them (layers: the input layer)."""
        return list(self._input_names)

    @property
    def output_names(self) -> list[str]:
        """The model's outputs in TF.js's order (``GraphModel.outputNodes``); predict returns them so."""
        return list(self._output_names)

    # ------------------------------------------------------------------ running
    def _check_input(self, x: Any, spec: Any = None, expected: Any = "model",
                     label: str = "predict()") -> np.ndarray:
        """``x`` checked against an input's dtype and ``expected`` shape ("model": the model's
        input_shape; None: any shape), as a C-contiguous array."""
        if not isinstance(x, np.ndarray):
            raise InvalidArgumentError(f"{label} takes a numpy array, not {type(x).__name__}.")
        dtype = getattr(spec, "dtype", None) or "float32"
        if dtype == "int32" and x.dtype != np.int32:
            if x.dtype.kind not in "iu" or x.dtype == np.bool_:
                raise InvalidArgumentError(f"{label} takes int32 input for this model, not {x.dtype}.")
            if x.size and (x.min() < -2**31 or x.max() >= 2**31):
                raise InvalidArgumentError(f"{label} got {x.dtype} values outside int32's range.")
            x = x.astype(np.int32)
        elif dtype == "bool" and x.dtype != np.bool_:
            raise InvalidArgumentError(f"{label} takes bool input for this model, not {x.dtype}.")
        elif dtype == "float32" and x.dtype != np.float32:
            if x.dtype.kind in "fiu" and x.dtype != np.bool_:
                raise InvalidArgumentError(f"{label} takes float32 input, not {x.dtype}; convert with "
                                           "x.astype('float32') after scaling it as the model expects.")
            raise InvalidArgumentError(f"{label} takes float32 input, not {x.dtype}.")
        expected = self.input_shape if expected == "model" else expected
        if expected is not None:
            if x.ndim != len(expected):
                raise InvalidArgumentError(f"{label} takes a batch of shape {_shape_text(expected)}, "
                                           f"but got an array of shape {list(x.shape)} (rank {x.ndim}).")
            for got, want in zip(x.shape[1:], expected[1:]):
                if want is not None and got != want:
                    raise InvalidArgumentError(f"{label} takes a batch of shape {_shape_text(expected)}, "
                                               f"but got {list(x.shape)}.")
            if expected and expected[0] is not None and x.shape[0] != expected[0]:
                raise InvalidArgumentError(f"{label} takes a batch of shape {_shape_text(expected)}, "
                                           f"but got {list(x.shape)}.")
        if x.ndim and x.shape[0] == 0:
            raise InvalidArgumentError(f"{label} got an empty batch.")
        return x if x.flags.c_contiguous else np.ascontiguousarray(x)  # (which would make a scalar 1-D)

    def _feeds(self, x: Any) -> dict[str, np.ndarray]:
        """The dynamic executor's inputs by node name, from one array or a dict by input name."""
        specs = self._inputs
        if isinstance(x, Mapping):
            by_name = {}
            for spec in specs:
                for key in (spec.name, spec.node, f"{spec.node}:{spec.index}"):
                    by_name.setdefault(key, spec)
            unknown = [k for k in x if k not in by_name]
            if unknown:
                raise InvalidArgumentError(f"predict() got an input named {unknown[0]!r}; the model's inputs are "
                                           f"{self.input_names}.")
            feeds = {}
            for key, value in x.items():
                spec = by_name[key]
                feeds[spec.node] = self._check_input(value, spec, spec.shape, f"predict() input {spec.name!r}")
            missing = [s.name for s in specs if s.node not in feeds
                       and self._program.nodes[s.node].op != "PlaceholderWithDefault"]
            if missing:
                raise InvalidArgumentError(f"predict() needs a value for the input {missing[0]!r} (inputs: "
                                           f"{self.input_names}).")
            return feeds
        if len(specs) != 1:
            raise InvalidArgumentError(f"this model has {len(specs)} inputs {self.input_names}: pass predict() a "
                                       "dict {input name: array}.")
        return {specs[0].node: self._check_input(x, specs[0], specs[0].shape)}

    def _run_program(self, x: Any, outputs: Sequence[tuple[str, int]] | None = None) -> list[np.ndarray]:
        feeds = self._feeds(x)
        with self._program_lock:
            return self._program.run(feeds, outputs)

    def predict(self, x: Any) -> Any:
        """Run the model; one array for a model with one output, else a list in ``output_names`` order.

        ``x`` is an array (NHWC float32 images for image models; int32 where the model takes
        int32 or uint8), or a dict {input name: array} for a model with several inputs. On the
        preplanned path a large batch runs in equal chunks (see :func:`batch_chunk`), so that
        per image a batch is never slower than one image at a time.
        """
        if self._program is not None:
            outs = self._run_program(x)
        else:
            if isinstance(x, Mapping):
                names = self.input_names + [i.node for i in self._inputs]
                if len(x) != 1 or next(iter(x)) not in names:
                    raise InvalidArgumentError(f"predict() got inputs {list(x)}; the model's inputs are "
                                               f"{self.input_names}.")
                x = next(iter(x.values()))
            outs = self._predict_plan(self._check_input(x, self._inputs[0] if self._inputs else None))
        return outs[0] if len(outs) == 1 else outs

    def _predict_plan(self, x: np.ndarray) -> list[np.ndarray]:
        assert self._plan is not None
        n = x.shape[0]
        if self._chunk is None and self._plan.activation_bytes_per_image:
            self._chunk = batch_chunk(self._plan.activation_bytes_per_image)
        chunk = _largest_divisor_at_most(n, self._chunk or n)
        if chunk == n:
            return list(self._plan.run(x))
        parts = [self._plan.run(x[start:start + chunk]) for start in range(0, n, chunk)]
        return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]

    def profile(self, x: Any, repeat: int = 10) -> list[StepTiming]:
        """Where a prediction on ``x`` spends its time: each layer's (or node's) median seconds.

        The batch runs whole (not in chunks), ``repeat`` times after one warm-up run.
        """
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise InvalidArgumentError(f"profile() takes repeat as a whole number of runs >= 1, not {repeat!r}.")
        if self._program is not None:
            feeds = self._feeds(x)
            with self._program_lock:
                rows = self._program.profile(feeds, repeat)
            return [StepTiming(name, op, shape, seconds) for name, op, shape, seconds in rows]
        x = self._check_input(x, self._inputs[0] if self._inputs else None)
        return self._plan.profile(x, repeat)

    def predict_named(self, x: Any, outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """The outputs of the named layers (layers models) or nodes (graph models, ``node`` or ``node:i``)."""
        if isinstance(outputs, str):
            outputs = [outputs]
        key = tuple(outputs)
        if self._program is not None:
            from .graph_def import split_input

            values = self._run_program(x, [split_input(name) for name in key])
            return dict(zip(key, values))
        plan = self._named_plans.get(key)
        if plan is None:
            plan = self._builder(list(outputs))
            self._named_plans[key] = plan
        values = plan.run(self._check_input(x, self._inputs[0] if self._inputs else None))
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
