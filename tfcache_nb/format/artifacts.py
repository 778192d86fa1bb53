"""Model artifacts: a model.json's content plus its weight bytes, as TensorFlow.js holds them.

Mirrors ``io.ModelArtifacts`` of ``tfjs-core/src/io``: the topology and every optional field of
model.json, the flat list of weight specs, and the weights as one ``bytes`` object (all shards
joined in manifest order). Everything above this module speaks in these objects.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import ModelFormatError
from .jsjson import js_byte_length
from .manifest import flatten_specs, specs_byte_length, validate_manifest, validate_weight_spec

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: model.json / io.ModelArtifacts JSON names of the optional fields, by Python attribute.
OPTIONAL_FIELDS: dict[str, str] = {
    "format": "format",
    "generated_by": "generatedBy",
    "converted_by": "convertedBy",
    "signature": "signature",
    "user_defined_metadata": "userDefinedMetadata",
    "model_initializer": "modelInitializer",
    "training_config": "trainingConfig",
}


@dataclasses.dataclass(frozen=True)
class ModelArtifactsInfo:
    """What TensorFlow.js reports about saved artifacts (``io.ModelArtifactsInfo``)."""

    date_saved: _dt.datetime
    model_topology_type: str
    model_topology_bytes: int
    weight_specs_bytes: int
    weight_data_bytes: int
    #: why a stored model's info could not be read (``list_models`` still names the model)
    damaged: str | None = None
    #: which tier of a ``TieredCache`` holds the model (``"local"`` or ``"file"``), when listed from one
    tier: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The camelCase form TensorFlow.js stores (``dateSaved`` as an ISO string)."""
        return {
            "dateSaved": _iso(self.date_saved),
            "modelTopologyType": self.model_topology_type,
            "modelTopologyBytes": self.model_topology_bytes,
            "weightSpecsBytes": self.weight_specs_bytes,
            "weightDataBytes": self.weight_data_bytes,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "ModelArtifactsInfo":
        date = doc.get("dateSaved")
        try:
            when = _dt.datetime.fromisoformat(str(date).replace("Z", "+00:00"))
        except ValueError:
            when = _dt.datetime.fromtimestamp(0, _dt.timezone.utc)
        return cls(
            date_saved=when,
            model_topology_type=str(doc.get("modelTopologyType", "JSON")),
            model_topology_bytes=int(doc.get("modelTopologyBytes", 0) or 0),
            weight_specs_bytes=int(doc.get("weightSpecsBytes", 0) or 0),
            weight_data_bytes=int(doc.get("weightDataBytes", 0) or 0),
        )

    @property
    def total_bytes(self) -> int:
        return self.model_topology_bytes + self.weight_specs_bytes + self.weight_data_bytes

    def _repr_html_(self) -> str:
        from .._html import human_bytes, table

        return table([("date saved", _iso(self.date_saved)), ("topology type", self.model_topology_type),
                      ("topology", human_bytes(self.model_topology_bytes)),
                      ("weight specs", human_bytes(self.weight_specs_bytes)),
                      ("weight data", human_bytes(self.weight_data_bytes))], title="Model artifacts info")


def _iso(when: _dt.datetime) -> str:
    """``Date.prototype.toJSON``: UTC with milliseconds and a Z."""
    utc = when.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclasses.dataclass
class ModelArtifacts:
    """One model: topology, weight specs and weight bytes (``io.ModelArtifacts``)."""

    model_topology: dict[str, Any] | None
    weight_specs: list[dict[str, Any]]
    weight_data: bytes
    format: str | None = None
    generated_by: str | None = None
    converted_by: str | None = None
    signature: dict[str, Any] | None = None
    user_defined_metadata: dict[str, Any] | None = None
    model_initializer: dict[str, Any] | None = None
    training_config: dict[str, Any] | None = None

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_model_json(cls, doc: Any, weight_data: bytes) -> "ModelArtifacts":
        """Artifacts from a parsed model.json and the bytes of all its shards, joined."""
        if not isinstance(doc, Mapping):
            raise ModelFormatError("model.json must hold a JSON object.")
        topology = doc.get("modelTopology")
        if topology is not None and not isinstance(topology, Mapping):
            raise ModelFormatError("model.json field 'modelTopology' must be an object.")
        if topology is None and "weightsManifest" not in doc:
            raise ModelFormatError("model.json has neither 'modelTopology' nor 'weightsManifest'.")
        groups = validate_manifest(doc.get("weightsManifest", []))
        return cls._build(doc, topology, flatten_specs(groups), weight_data)

    @classmethod
    def from_artifacts_json(cls, doc: Any, weight_data: bytes) -> "ModelArtifacts":
        """Artifacts from the JSON of ``io.ModelArtifacts`` without weights (``weightSpecs``)."""
        if not isinstance(doc, Mapping):
            raise ModelFormatError("stored model artifacts must be a JSON object.")
        topology = doc.get("modelTopology")
        if topology is not None and not isinstance(topology, Mapping):
            raise ModelFormatError("field 'modelTopology' must be an object.")
        specs = doc.get("weightSpecs", [])
        if not isinstance(specs, list):
            raise ModelFormatError("field 'weightSpecs' must be a list.")
        specs = [validate_weight_spec(s, f"weightSpecs[{i}]") for i, s in enumerate(specs)]
        names = [s["name"] for s in specs]
        if len(set(names)) != len(names):
            raise ModelFormatError("field 'weightSpecs' lists a weight more than once.")
        return cls._build(doc, topology, specs, weight_data)

    @classmethod
    def _build(cls, doc: Mapping[str, Any], topology: Any, specs: list[dict[str, Any]],
               weight_data: bytes) -> "ModelArtifacts":
        if not isinstance(weight_data, (bytes, bytearray, memoryview)):
            raise ModelFormatError("weight data must be bytes.")
        extras = {attr: doc.get(js) for attr, js in OPTIONAL_FIELDS.items() if doc.get(js) is not None}
        for attr in ("format", "generated_by", "converted_by"):
            if attr in extras and not isinstance(extras[attr], str):
                raise ModelFormatError(f"model.json field '{OPTIONAL_FIELDS[attr]}' must be a string.")
        artifacts = cls(
            model_topology=dict(topology) if topology is not None else None,
            weight_specs=specs,
            weight_data=bytes(weight_data),
            **extras,
        )
        artifacts.check_weight_data()
        return artifacts

    # ------------------------------------------------------------------ checks
    def check_weight_data(self) -> None:
        """Raise :class:`ModelFormatError` if the weight bytes do not match the specs."""
        expected = specs_byte_length(self.weight_specs)
        if expected is not None and expected != len(self.weight_data):
            raise ModelFormatError(
                f"the weights manifest needs {expected} bytes of weight data "
                f"but {len(self.weight_data)} were given."
            )

    # ------------------------------------------------------------------ writing
    def extra_fields_json(self) -> dict[str, Any]:
        """The optional fields that are set, under their JSON names."""
        return {js: getattr(self, attr) for attr, js in OPTIONAL_FIELDS.items()
                if getattr(self, attr) is not None}

    def to_model_json(self, weights_manifest: list[dict[str, Any]]) -> dict[str, Any]:
        """model.json content for this model, with the given manifest (shard paths)."""
        doc: dict[str, Any] = {}
        if self.model_topology is not None:
            doc["modelTopology"] = self.model_topology
        doc.update(self.extra_fields_json())
        doc["weightsManifest"] = weights_manifest
        return doc

    def without_weights_json(self) -> dict[str, Any]:
        """``io.ModelArtifacts`` less ``weightData``, as the WeChat plugin stores it."""
        doc: dict[str, Any] = {}
        if self.model_topology is not None:
            doc["modelTopology"] = self.model_topology
        doc.update(self.extra_fields_json())
        doc["weightSpecs"] = self.weight_specs
        return doc

    # ------------------------------------------------------------------ derived
    @property
    def is_graph_model(self) -> bool:
        """Graph models say ``format: graph-model``; old ones are known by ``modelTopology.node``."""
        if self.format is not None:
            return self.format == "graph-model"
        return isinstance(self.model_topology, Mapping) and "node" in self.model_topology

    def info(self, date_saved: _dt.datetime | None = None) -> ModelArtifactsInfo:
        """Byte counts as TensorFlow.js's ``getModelArtifactsInfoForJSON`` gives them."""
        return ModelArtifactsInfo(
            date_saved=date_saved or _dt.datetime.now(_dt.timezone.utc),
            model_topology_type="JSON",
            model_topology_bytes=0 if self.model_topology is None else js_byte_length(self.model_topology),
            weight_specs_bytes=js_byte_length(self.weight_specs),
            weight_data_bytes=len(self.weight_data),
        )

    def weights_sha256(self) -> str:
        """Hex SHA-256 of the weight bytes: the cache's integrity check."""
        return hashlib.sha256(self.weight_data).hexdigest()

    def decode_weights(self) -> "dict[str, np.ndarray]":
        """Every weight as a numpy array, dequantized (see :mod:`tfcache_nb.format.weights`)."""
        from .weights import decode_weights

        return decode_weights(self.weight_specs, self.weight_data)

    def quantize(self, dtype: str) -> "ModelArtifacts":
        """A copy whose float32 weights are stored as ``uint8``, ``uint16`` or ``float16``."""
        from .quantization import quantize_artifacts

        return quantize_artifacts(self, dtype)

    def replace(self, **changes: Any) -> "ModelArtifacts":
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        kind = "graph" if self.is_graph_model else "layers"
        return (f"ModelArtifacts({kind} model, {len(self.weight_specs)} weights, "
                f"{len(self.weight_data):,} weight bytes)")
